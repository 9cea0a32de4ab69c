// Docker's reference grammar and normalisation, checked against what dockerd 28 answers for the
// same names.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/images/reference.hpp"

using berth::InvalidArgument;
using berth::engine::Reference;

namespace {

const std::string kDigest =
    "sha256:3726e854f7e14d58c1dc2b1156c3759b194984a1e8484ee0f3e637bc0212cad8";

std::string parse_error(const std::string& text) {
  try {
    Reference::parse(text);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("references normalise as docker's ParseNormalizedNamed + TagNameOnly", "[images]") {
  struct Row {
    std::string input, domain, path, tag, digest, full, familiar;
  };
  const std::vector<Row> rows = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "busybox:latest"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "busybox:1.36"},
      {"library/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", "",
       "docker.io/library/busybox:x", "busybox:x"},
      {"team/app", "docker.io", "team/app", "latest", "", "docker.io/team/app:latest",
       "team/app:latest"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", "",
       "docker.io/library/a/b:latest", "library/a/b:latest"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest",
       "localhost/app:latest"},
      {"localhost:5000/app:v1", "localhost:5000", "app", "v1", "", "localhost:5000/app:v1",
       "localhost:5000/app:v1"},
      {"example.com/a/b/c", "example.com", "a/b/c", "latest", "", "example.com/a/b/c:latest",
       "example.com/a/b/c:latest"},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest",
       "[::1]:5000/app:latest"},
      // An upper-case first component cannot be a path, so docker takes it as a registry host.
      {"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest", "Foo/bar:latest"},
      {"a__b.c-d---e", "docker.io", "library/a__b.c-d---e", "latest", "",
       "docker.io/library/a__b.c-d---e:latest", "a__b.c-d---e:latest"},
      {"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
       "docker.io/library/busybox@" + kDigest, "busybox@" + kDigest},
      {"busybox:1@" + kDigest, "docker.io", "library/busybox", "1", kDigest,
       "docker.io/library/busybox:1@" + kDigest, "busybox:1@" + kDigest},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    const Reference ref = Reference::parse(row.input);
    CHECK(ref.domain == row.domain);
    CHECK(ref.path == row.path);
    CHECK(ref.tag == row.tag);
    CHECK(ref.digest == row.digest);
    CHECK(ref.string() == row.full);
    CHECK(ref.familiar_string() == row.familiar);
  }
  CHECK(Reference::parse("busybox").name() == "docker.io/library/busybox");
  CHECK(Reference::parse("busybox").familiar_name() == "busybox");
  CHECK(Reference::parse("localhost:5000/x").familiar_name() == "localhost:5000/x");
}

TEST_CASE("invalid references are refused with docker's messages", "[images]") {
  CHECK(parse_error("Busybox") ==
        "invalid reference format: repository name (library/Busybox) must be lowercase");
  CHECK(parse_error("team/App:1") ==
        "invalid reference format: repository name (team/App) must be lowercase");
  CHECK(parse_error("") == "invalid reference format");
  CHECK(parse_error("busybox:") == "invalid reference format");
  CHECK(parse_error("bus ybox") == "invalid reference format");
  CHECK(parse_error("-busybox") == "invalid reference format");
  CHECK(parse_error("busybox/") == "invalid reference format");
  CHECK(parse_error("a//b") == "invalid reference format");
  CHECK(parse_error("a_-b") == "invalid reference format");
  CHECK(parse_error("a...b") == "invalid reference format");
  CHECK(parse_error("busybox:" + std::string(129, 't')) == "invalid reference format");
  CHECK(parse_error("busybox:-x") == "invalid reference format");
  CHECK(parse_error("busybox@sha256:abc") == "invalid reference format");
  CHECK(parse_error("busybox@sha256:" + std::string(32, 'a')) == "invalid checksum digest length");
  CHECK(parse_error("busybox@md5:" + std::string(32, 'a')) == "unsupported digest algorithm");
  CHECK(parse_error("busybox@sha256:" + std::string(64, 'A')) == "invalid checksum digest format");
  const std::string hex64(64, 'a');
  CHECK(parse_error(hex64) ==
        "invalid repository name (" + hex64 + "), cannot specify 64-byte hexadecimal strings");
  CHECK(parse_error("team/" + std::string(250, 'a')) ==
        "repository name must not be more than 255 characters");
  CHECK(parse_error(std::string(2000, 'a') + "/" + std::string(2000, '_')) ==
        "invalid reference format");
  CHECK_NOTHROW(Reference::parse("team/" + std::string(230, 'a')));
}

TEST_CASE("image IDs are told apart from names", "[images]") {
  CHECK(Reference::looks_like_id("sha256:abc"));
  CHECK(Reference::looks_like_id("sha256:" + std::string(64, 'f')));
  CHECK(Reference::looks_like_id("0123456789ab"));
  CHECK(Reference::looks_like_id(std::string(64, '0')));
  CHECK_FALSE(Reference::looks_like_id("0123456789a"));  // too short to be taken as an ID
  CHECK_FALSE(Reference::looks_like_id("busybox"));
  CHECK_FALSE(Reference::looks_like_id("sha256:xyz"));
  CHECK_FALSE(Reference::looks_like_id("sha256:"));
  CHECK_FALSE(Reference::looks_like_id(std::string(65, '0')));
  CHECK_FALSE(Reference::looks_like_id("0123456789AB"));
}
