// berth cp: copies between a container and the host through the engine's tar archive endpoint,
// with the system's tar packing and unpacking on our side (as docker's own archive package does
// in Go).
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "cli/client/client_env.hpp"
#include "common/subprocess.hpp"

namespace berth::cli::client {

namespace {

namespace fs = std::filesystem;

struct CpTarget {
  std::string container;  // empty = a host path
  std::string path;
};

CpTarget split_target(const std::string& arg) {
  auto colon = arg.find(':');
  // A path with a slash before the colon is a host path (docker's rule: "./a:b" is local).
  if (colon == std::string::npos || colon == 0 ||
      arg.substr(0, colon).find('/') != std::string::npos) {
    return {"", arg};
  }
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

void write_all_fd(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write to tar");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

int copy_from_container(ClientEnv& env, const CpTarget& source, const std::string& dest) {
  auto response = env.engine().stream("GET", "/containers/" + url_encode(source.container) +
                                                 "/archive?path=" + url_encode(source.path));
  std::vector<char> buffer(256 * 1024);
  if (dest == "-") {
    while (size_t n = response->read_some(buffer.data(), buffer.size()))
      write_all_fd(1, buffer.data(), n);
    return 0;
  }
  std::error_code ec;
  const bool into_dir = fs::is_directory(dest, ec);
  // A new name: unpack next to it, then give the copied entry that name.
  const fs::path unpack_dir = into_dir                               ? fs::path(dest)
                              : fs::path(dest).parent_path().empty() ? fs::path(".")
                                                                     : fs::path(dest).parent_path();
  fs::path staging;
  if (!into_dir) {
    staging = unpack_dir / (".berth-cp-" + std::to_string(::getpid()));
    fs::create_directories(staging);
  }
  SpawnOptions options;
  options.argv = {"tar", "-x", "-f", "-", "-C", into_dir ? unpack_dir.string() : staging.string()};
  options.search_path = true;
  options.stdin_io = Stdio::pipe();
  auto tar = spawn(options);
  {
    UniqueFd in = std::move(tar.stdin_pipe());
    while (size_t n = response->read_some(buffer.data(), buffer.size())) {
      write_all_fd(in.get(), buffer.data(), n);
    }
  }
  auto status = tar.wait();
  if (!status.success()) {
    if (!staging.empty()) fs::remove_all(staging, ec);
    throw Error("tar -x failed: " + status.describe());
  }
  if (!into_dir) {
    auto entries = fs::directory_iterator(staging);
    if (entries != fs::directory_iterator()) {
      fs::path dest_path(dest);
      if (fs::exists(dest_path, ec)) fs::remove_all(dest_path, ec);
      fs::rename(entries->path(), dest_path);
    }
    fs::remove_all(staging, ec);
  }
  return 0;
}

int copy_to_container(ClientEnv& env, const std::string& source, const CpTarget& dest) {
  fs::path src(source);
  std::error_code ec;
  if (!fs::exists(src, ec)) throw NotFound("stat " + source + ": no such file or directory");
  const std::string container_path = "/containers/" + url_encode(dest.container) + "/archive";
  // Is the destination an existing directory in the container? HEAD answers 404 when it is not
  // there; then the copy takes the destination's name.
  auto head =
      env.engine().call_unchecked("HEAD", container_path + "?path=" + url_encode(dest.path));
  bool into_dir = head.status == 200;
  if (into_dir) {
    auto stat_header = head.header("X-Docker-Container-Path-Stat");
    // The header is base64 JSON with a Go FileMode: directories have bit 31 set. Without it,
    // an existing path is taken for a directory.
    if (!stat_header.empty()) {
      auto decoded = run_capture({"base64", "-d"}, stat_header).stdout_data;
      auto json = Json::parse(decoded, nullptr, false);
      if (!json.is_discarded()) {
        into_dir = (static_cast<std::uint64_t>(get_int64(json, "mode")) & (1ull << 31)) != 0;
      }
    }
  }
  fs::path base = src.filename();
  if (base.empty()) base = src.parent_path().filename();
  std::string upload_dir = dest.path;
  std::vector<std::string> argv = {
      "tar", "-c", "-f", "-", "-C", src.parent_path().empty() ? "." : src.parent_path().string()};
  if (!into_dir) {
    fs::path d(dest.path);
    upload_dir = d.parent_path().empty() ? "/" : d.parent_path().string();
    argv.push_back("--transform=s,^" + base.string() + "," + d.filename().string() + ",");
  }
  argv.push_back(base.string());
  SpawnOptions options;
  options.argv = argv;
  options.search_path = true;
  options.stdout_io = Stdio::pipe();
  auto tar = spawn(options);
  UniqueFd out = std::move(tar.stdout_pipe());
  auto response = env.engine().stream("PUT", container_path + "?path=" + url_encode(upload_dir),
                                      [&](char* data, size_t size) -> size_t {
                                        while (true) {
                                          ssize_t n = ::read(out.get(), data, size);
                                          if (n >= 0) return static_cast<size_t>(n);
                                          if (errno != EINTR) throw_errno("read from tar");
                                        }
                                      },
                                      {{"Content-Type", "application/x-tar"}});
  response->read_all(1 << 20);
  auto status = tar.wait();
  if (!status.success()) throw Error("tar -c failed: " + status.describe());
  return 0;
}

}  // namespace

void add_cp_command(CLI::App& parent, ClientEnv& env) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand("cp", "Copy files/folders between a container and the host");
  cmd->add_option("paths", *args, "CONTAINER:SRC_PATH DEST_PATH|- or SRC_PATH CONTAINER:DEST_PATH")
      ->required()
      ->expected(2);
  cmd->callback([&env, args] {
    run_command(env, [&] {
      auto source = split_target((*args)[0]);
      auto dest = split_target((*args)[1]);
      if (!source.container.empty() && dest.container.empty()) {
        return copy_from_container(env, source, dest.path);
      }
      if (source.container.empty() && !dest.container.empty()) {
        return copy_to_container(env, source.path, dest);
      }
      throw InvalidArgument("copying between containers is not supported; one path must be local");
    });
  });
}

}  // namespace berth::cli::client
