// The build context tar berth sends: read back with libarchive (an independent reader) to check
// names, modes, links, exclusions and the files that must always be sent.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/client/build_context.hpp"
#include "cli/client/build_request.hpp"

using namespace berth::cli::client;
namespace fs = std::filesystem;

namespace {

struct TarMember {
  char type = '0';
  unsigned mode = 0;
  std::string content, link;
  long uid = -1, gid = -1;
};

std::map<std::string, TarMember> read_tar(const std::string& bytes) {
  std::map<std::string, TarMember> members;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_memory(a, bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    TarMember m;
    const auto type = archive_entry_filetype(entry);
    m.type = type == AE_IFDIR ? '5' : type == AE_IFLNK ? '2' : '0';
    m.mode = archive_entry_perm(entry);
    m.uid = archive_entry_uid(entry);
    m.gid = archive_entry_gid(entry);
    if (m.type == '2') m.link = archive_entry_symlink(entry);
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0)
      m.content.append(buffer, static_cast<std::size_t>(n));
    members[archive_entry_pathname(entry)] = m;
  }
  archive_read_free(a);
  return members;
}

std::string tar_of(std::vector<ContextEntry> entries) {
  ContextTar tar(std::move(entries));
  std::string out;
  char buffer[700];  // an odd size, so headers and contents are split across reads
  while (std::size_t n = tar.read(buffer, sizeof buffer)) out.append(buffer, n);
  return out;
}

void write(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  fs::permissions(path, mode);
}

struct TempContext {
  fs::path dir;
  TempContext() {
    char tmpl[] = "/tmp/berth-ctx-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempContext() { fs::remove_all(dir); }
};

std::map<std::string, TarMember> context_tar(const fs::path& dir, const std::string& ignore,
                                             const std::string& dockerfile = "Dockerfile") {
  auto patterns = keep_build_files(parse_dockerignore(ignore), dockerfile);
  const std::string bytes = tar_of(collect_context(dir.string(), DockerignoreMatcher(patterns)));
  REQUIRE(bytes.size() % 512 == 0);
  return read_tar(bytes);
}

}  // namespace

TEST_CASE("build context tar keeps modes and owners 0 and symlinks as links") {
  TempContext ctx;
  write(ctx.dir / "Dockerfile", "FROM busybox\n");
  write(ctx.dir / "run.sh", "#!/bin/sh\n", fs::perms(0755));
  write(ctx.dir / "sub/deep/data.txt", "data");
  fs::create_symlink("../../../etc/passwd", ctx.dir / "sub/escape");
  fs::create_symlink("deep/data.txt", ctx.dir / "sub/inside");
  const auto members = context_tar(ctx.dir, "");
  REQUIRE(members.count("Dockerfile"));
  CHECK(members.at("Dockerfile").content == "FROM busybox\n");
  CHECK(members.at("Dockerfile").mode == 0644);
  CHECK(members.at("Dockerfile").uid == 0);
  CHECK(members.at("Dockerfile").gid == 0);
  CHECK(members.at("run.sh").mode == 0755);
  CHECK(members.at("sub/").type == '5');
  CHECK(members.at("sub/deep/data.txt").content == "data");
  // The link is sent as a link: the engine never receives /etc/passwd's content.
  CHECK(members.at("sub/escape").type == '2');
  CHECK(members.at("sub/escape").link == "../../../etc/passwd");
  CHECK(members.at("sub/escape").content.empty());
  CHECK(members.at("sub/inside").link == "deep/data.txt");
  for (const auto& [name, _] : members) {
    CHECK_FALSE(name.starts_with("/"));
    CHECK(name.find("..") == std::string::npos);
  }
}

TEST_CASE("build context tar leaves out what dockerignore excludes") {
  TempContext ctx;
  write(ctx.dir / "Dockerfile", "FROM busybox\n");
  write(ctx.dir / "app.py", "print()");
  write(ctx.dir / "debug.log", "x");
  write(ctx.dir / "logs/a/b.log", "x");
  write(ctx.dir / "secret/key.pem", "x");
  write(ctx.dir / "docs/keep.md", "keep");
  write(ctx.dir / "docs/drop.md", "drop");
  write(ctx.dir / ".git/HEAD", "ref");
  const auto members =
      context_tar(ctx.dir, "# build\n**/*.log\n/secret\n.git\ndocs\n!docs/keep.md\n");
  CHECK(members.count("app.py"));
  CHECK_FALSE(members.count("debug.log"));
  CHECK_FALSE(members.count("logs/a/b.log"));
  CHECK(members.count("logs/a/"));  // only the files matched
  CHECK_FALSE(members.count("secret/"));
  CHECK_FALSE(members.count("secret/key.pem"));
  CHECK_FALSE(members.count(".git/HEAD"));
  CHECK_FALSE(members.count("docs/drop.md"));
  REQUIRE(members.count("docs/keep.md"));
  CHECK(members.at("docs/keep.md").content == "keep");
}

TEST_CASE("build context tar always sends the Dockerfile and dockerignore") {
  TempContext ctx;
  write(ctx.dir / "build/Dockerfile.dev", "FROM busybox\n");
  write(ctx.dir / ".dockerignore", "*\n");
  write(ctx.dir / "other", "x");
  const auto members = context_tar(ctx.dir, "*\n", "build/Dockerfile.dev");
  CHECK(members.count("build/Dockerfile.dev"));
  CHECK(members.count(".dockerignore"));
  CHECK_FALSE(members.count("other"));
}

TEST_CASE("build context tar carries long names through PAX headers") {
  TempContext ctx;
  const std::string long_dir(120, 'd');
  write(ctx.dir / long_dir / "file.txt", "long");
  const auto members = context_tar(ctx.dir, "");
  REQUIRE(members.count(long_dir + "/file.txt"));
  CHECK(members.at(long_dir + "/file.txt").content == "long");
}

TEST_CASE("build context in-memory entries go into the tar") {
  ContextEntry e;
  e.name = ".dockerfile.0123456789abcdef0123";
  e.type = '0';
  e.mode = 0600;
  e.content = "FROM scratch\n";
  e.in_memory = true;
  const auto members = read_tar(tar_of({e}));
  REQUIRE(members.count(e.name));
  CHECK(members.at(e.name).content == "FROM scratch\n");
  CHECK(members.at(e.name).mode == 0600);
}

TEST_CASE("build query is docker's with sorted keys and JSON build args") {
  BuildOptions o;
  o.tags = {"myimg:2", "other"};
  o.build_args = {"A=1", "FROM_ENV", "UNSET"};
  o.labels = {"l=v"};
  o.quiet = true;
  auto getenv = [](const std::string& k) -> std::optional<std::string> {
    if (k == "FROM_ENV") return "e";
    return std::nullopt;
  };
  CHECK(build_query(o, getenv) ==
        "/build?buildargs=%7B%22A%22%3A%221%22%2C%22FROM_ENV%22%3A%22e%22%2C%22UNSET%22%3Anull%7D"
        "&dockerfile=Dockerfile&labels=%7B%22l%22%3A%22v%22%7D&q=1&t=myimg%3A2&t=other&version=1");
  BuildOptions p;
  p.tags = {"myimg:1"};
  p.no_cache = p.pull = true;
  p.network = "host";
  p.platform = "linux/amd64";
  p.target = "x";
  CHECK(build_query(p, {}) ==
        "/build?dockerfile=Dockerfile&networkmode=host&nocache=1&platform=linux%2Famd64&pull=1"
        "&t=myimg%3A1&target=x&version=1");
}
