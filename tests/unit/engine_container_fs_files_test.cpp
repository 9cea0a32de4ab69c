// The files the engine binds into a container (/etc/hosts, /etc/resolv.conf) and the tar of a
// container path as `docker cp` sends it, compared with what dockerd 20.10 writes.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/unique_fd.hpp"
#include "engine/containers/container_files.hpp"
#include "engine/images/tree_tar.hpp"

using namespace berth;
using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

struct TarMember {
  std::string name, link, uname, gname;
  int64_t uid = -1, gid = -1;
  mode_t type = 0;
};

std::vector<TarMember> members_of(const std::string& tar) {
  std::vector<TarMember> out;
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  REQUIRE(archive_read_open_memory(a.get(), tar.data(), tar.size()) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    TarMember m;
    m.name = archive_entry_pathname(e);
    if (const char* l = archive_entry_symlink(e)) m.link = l;
    if (const char* u = archive_entry_uname(e)) m.uname = u;
    if (const char* g = archive_entry_gname(e)) m.gname = g;
    m.uid = archive_entry_uid(e);
    m.gid = archive_entry_gid(e);
    m.type = archive_entry_filetype(e);
    out.push_back(m);
  }
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "berth-cfs-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

}  // namespace

TEST_CASE("container files: /etc/hosts names the container by full and short name",
          "[container_fs]") {
  ContainerFilesInput in;
  in.hostname = "myhost.example.com";
  in.ip = "172.17.0.2";
  const std::string hosts = container_hosts(in);
  CHECK(hosts.ends_with("\n172.17.0.2\tmyhost.example.com myhost\n"));
  CHECK(hosts.starts_with("127.0.0.1\tlocalhost\n"));

  in.hostname = "abc123";
  CHECK(container_hosts(in).ends_with("\n172.17.0.2\tabc123\n"));  // no alias for a bare name

  in.domainname = "corp.test";
  CHECK(container_hosts(in).ends_with("\n172.17.0.2\tabc123.corp.test abc123\n"));

  in.ip.clear();  // --network none: no line for the container
  CHECK(container_hosts(in).ends_with("ff02::2\tip6-allrouters\n"));
}

TEST_CASE("container files: resolv.conf is written search first, as dockerd does",
          "[container_fs]") {
  const std::string host = "nameserver 10.0.0.1\nsearch host.test\noptions ndots:2\n";
  ContainerFilesInput in;
  in.dns = {"1.1.1.1", "9.9.9.9"};
  in.dns_search = {"a.test", "b.test"};
  CHECK(container_resolv_conf(host, in) ==
        "search a.test b.test\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions ndots:2\n");

  // Only --dns: the host's search and options are kept, in docker's order.
  in.dns_search.clear();
  CHECK(container_resolv_conf(host, in) ==
        "search host.test\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions ndots:2\n");

  // Only --dns-option: the host's servers are kept.
  ContainerFilesInput options_only;
  options_only.dns_options = {"rotate"};
  CHECK(container_resolv_conf(host, options_only) ==
        "search host.test\nnameserver 10.0.0.1\noptions rotate\n");
}

TEST_CASE("container files: the host's resolv.conf without loopback and IPv6 servers",
          "[container_fs]") {
  const ContainerFilesInput none;
  CHECK(container_resolv_conf("# comment\nnameserver 10.0.0.1\nsearch x.test\n", none) ==
        "# comment\nnameserver 10.0.0.1\nsearch x.test\n");
  CHECK(container_resolv_conf("nameserver 127.0.0.53\noptions edns0\nsearch x.test\n", none) ==
        "options edns0\nsearch x.test\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  CHECK(container_resolv_conf("nameserver 2001:db8::1\nnameserver 10.0.0.1\n", none) ==
        "nameserver 10.0.0.1\n");
}

TEST_CASE("container fs: a symlink named by docker cp is archived as the link, with owner names",
          "[container_fs]") {
  TempDir dir;
  fs::create_directories(dir.path / "tmp");
  std::ofstream(dir.path / "tmp" / "f1") << "a\n";
  fs::create_symlink("/etc/passwd", dir.path / "tmp" / "plink");
  fs::create_symlink("../../../../etc/shadow", dir.path / "tmp" / "shadowlink");

  UniqueFd tmp(::open((dir.path / "tmp").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(tmp);
  TreeTarOptions options;
  options.user_names = {{0, "root"}};
  options.group_names = {{0, "wheel"}};

  for (const std::string link : {"plink", "shadowlink"}) {
    std::string tar;
    TarWriter writer([&](std::string_view data) { tar.append(data); });
    options.prefix = link;
    write_tree_at(writer, tmp.get(), link, options);
    writer.finish();
    const auto members = members_of(tar);
    REQUIRE(members.size() == 1);
    CHECK(members[0].name == link);
    CHECK(members[0].type == AE_IFLNK);  // the link itself: nothing of the host's file
    CHECK(members[0].uname == (::geteuid() == 0 ? "root" : ""));
  }

  std::string tar;
  TarWriter writer([&](std::string_view data) { tar.append(data); });
  options.prefix = "tmp";
  UniqueFd root(::open(dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  write_tree_at(writer, root.get(), "tmp", options);
  writer.finish();
  const auto members = members_of(tar);
  REQUIRE(members.size() == 4);
  CHECK(members[0].name == "tmp/");
  CHECK(members[1].name == "tmp/f1");
  CHECK(members[2].link == "/etc/passwd");
  CHECK(members[3].link == "../../../../etc/shadow");
  if (::geteuid() == 0) {
    CHECK(members[1].uname == "root");
    CHECK(members[1].gname == "wheel");
  }
}
