// berth import (and image import): a filesystem tarball from a file or stdin becomes an image
// (POST /images/create?fromSrc=-), the engine's answer — the new image ID — printed as docker does.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/image_reference.hpp"
#include "cli/client/progress_output.hpp"
#include "common/unique_fd.hpp"

namespace berth::cli::client {

namespace {

struct ImportFlags {
  std::string source, reference, message, platform;
  std::vector<std::string> changes;
};

std::string import_query(const ImportFlags& flags) {
  std::string query = "/images/create?fromSrc=-";
  if (!flags.reference.empty()) query += "&repo=" + url_encode(flags.reference);
  if (!flags.message.empty()) query += "&message=" + url_encode(flags.message);
  if (!flags.platform.empty()) query += "&platform=" + url_encode(flags.platform);
  for (const auto& change : flags.changes) query += "&changes=" + url_encode(change);
  return query;
}

int import_image(ClientEnv& env, const ImportFlags& flags) {
  if (flags.source.find("://") != std::string::npos) {
    throw InvalidArgument("berth import reads a file or stdin (-); download " + flags.source +
                          " first");
  }
  if (!flags.reference.empty()) check_reference_format(flags.reference);
  const bool from_stdin = flags.source == "-";
  UniqueFd fd(from_stdin ? ::dup(0) : ::open(flags.source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error("open " + flags.source + ": " + std::strerror(errno));
  const std::string what = from_stdin ? std::string("stdin") : flags.source;
  auto response = env.engine().stream("POST", import_query(flags),
                                      [&](char* data, size_t size) -> size_t {
                                        while (true) {
                                          ssize_t n = ::read(fd.get(), data, size);
                                          if (n >= 0) return static_cast<size_t>(n);
                                          if (errno != EINTR) throw_errno("read " + what);
                                        }
                                      },
                                      {{"Content-Type", "application/x-tar"}});
  render_progress(*response, screen_for(env.out(), 1));
  return 0;
}

}  // namespace

void add_import_command(CLI::App& parent, ClientEnv& env) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = parent.add_subcommand(
      "import", "Import the contents from a tarball to create a filesystem image");
  cmd->add_option("file", flags->source, "file|- (a tarball, or - for stdin)")->required();
  cmd->add_option("repository", flags->reference, "REPOSITORY[:TAG]");
  cmd->add_option("-c,--change", flags->changes,
                  "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", flags->message, "Set commit message for imported image");
  cmd->add_option("--platform", flags->platform,
                  "Set platform if server is multi-platform capable");
  cmd->callback([&env, flags] { run_command(env, [&] { return import_image(env, *flags); }); });
}

}  // namespace berth::cli::client
