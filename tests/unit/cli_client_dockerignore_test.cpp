// .dockerignore parsing and matching as the docker CLI applies them to a build context.
#include <catch2/catch.hpp>

#include "cli/client/dockerignore.hpp"
#include "common/error.hpp"

using namespace berth::cli::client;

namespace {

bool excluded(const std::vector<std::string>& patterns, const std::string& path) {
  return DockerignoreMatcher(patterns).excludes(path);
}

}  // namespace

TEST_CASE("dockerignore parsing skips comments and blank lines and cleans patterns") {
  const auto patterns = parse_dockerignore(
      "\xEF\xBB\xBF# a comment\n\n  *.log  \n/secret\n! keep.log\n./a//b/../c/\n # not a "
      "comment\r\n");
  REQUIRE(patterns ==
          std::vector<std::string>{"*.log", "secret", "!keep.log", "a/c", "# not a comment"});
}

TEST_CASE("dockerignore clean_path works like filepath.Clean") {
  CHECK(clean_path("a//b/./c/../d/") == "a/b/d");
  CHECK(clean_path("") == ".");
  CHECK(clean_path("../x") == "../x");
  CHECK(clean_path("/../x") == "/x");
  CHECK(clean_path("a/..") == ".");
}

TEST_CASE("dockerignore star stays within one path element") {
  CHECK(excluded({"*.txt"}, "a.txt"));
  CHECK_FALSE(excluded({"*.txt"}, "dir/a.txt"));
  CHECK(excluded({"*/*.txt"}, "dir/a.txt"));
  CHECK(excluded({"?.md"}, "a.md"));
  CHECK_FALSE(excluded({"?.md"}, "ab.md"));
  CHECK(excluded({"[ab].c"}, "b.c"));
  CHECK_FALSE(excluded({"[ab].c"}, "c.c"));
}

TEST_CASE("dockerignore double star crosses directories") {
  CHECK(excluded({"**/*.log"}, "x.log"));
  CHECK(excluded({"**/*.log"}, "a/b/c/x.log"));
  CHECK_FALSE(excluded({"**/*.log"}, "a/b/c/x.txt"));
  CHECK(excluded({"**/node_modules"}, "node_modules"));
  CHECK(excluded({"**/node_modules"}, "web/node_modules/pkg/index.js"));
  CHECK(excluded({"build/**"}, "build/out/bin"));
  CHECK_FALSE(excluded({"build/**"}, "builder"));
  CHECK(excluded({"a/**/z"}, "a/z"));
  CHECK(excluded({"a/**/z"}, "a/b/c/z"));
  CHECK(excluded({"**"}, "anything/at/all"));
}

TEST_CASE("dockerignore a matching directory excludes everything below it") {
  CHECK(excluded({"secret"}, "secret"));
  CHECK(excluded({"secret"}, "secret/key.pem"));
  CHECK_FALSE(excluded({"secret"}, "secrets/key.pem"));
  CHECK_FALSE(excluded({"secret"}, "dir/secret"));
}

TEST_CASE("dockerignore exceptions re-include and the last match wins") {
  const std::vector<std::string> p = {"*.md", "!README.md"};
  CHECK(excluded(p, "CHANGES.md"));
  CHECK_FALSE(excluded(p, "README.md"));
  const std::vector<std::string> q = {"*.md", "!README*.md", "README-secret.md"};
  CHECK(excluded(q, "README-secret.md"));
  CHECK_FALSE(excluded(q, "README-public.md"));
  const std::vector<std::string> r = {"docs", "!docs/keep"};
  CHECK(excluded(r, "docs/other"));
  CHECK_FALSE(excluded(r, "docs/keep"));
  CHECK_FALSE(excluded(r, "docs/keep/inner"));
  DockerignoreMatcher matcher(r);
  CHECK(matcher.has_exceptions());
  CHECK(matcher.may_reinclude_below("docs"));
  CHECK_FALSE(matcher.may_reinclude_below("other"));
}

TEST_CASE("dockerignore regex characters in names are literal") {
  CHECK(excluded({"a+b.(1)"}, "a+b.(1)"));
  CHECK_FALSE(excluded({"a.c"}, "abc"));
  CHECK(excluded({"file\\*"}, "file*"));
  CHECK_FALSE(excluded({"file\\*"}, "filex"));
}

TEST_CASE("dockerignore a lone exclamation mark is refused") {
  CHECK_THROWS_AS(DockerignoreMatcher({"!"}), berth::InvalidArgument);
}
