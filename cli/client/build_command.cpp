// berth build (and image build, builder build): the context directory (or a tar or Dockerfile on
// stdin) sent as docker's legacy builder client sends it, the engine's build stream rendered as
// docker renders it, the image ID alone with -q.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cli/client/build_context.hpp"
#include "cli/client/build_request.hpp"
#include "cli/client/client_env.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/image_reference.hpp"
#include "cli/client/progress_output.hpp"

namespace berth::cli::client {

namespace {

namespace fs = std::filesystem;

struct BuildFlags {
  BuildOptions options;
  std::string context, dockerfile, iidfile;
  bool dockerfile_given = false;
};

std::string read_all(std::istream& in) {
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("open " + path + ": " + std::strerror(errno));
  return read_all(in);
}

// docker's name for a Dockerfile from outside the context: ".dockerfile." and 20 hex digits.
std::string random_dockerfile_name() {
  std::random_device random;
  static const char* hex = "0123456789abcdef";
  std::string name = ".dockerfile.";
  for (int i = 0; i < 20; ++i) name += hex[random() % 16];
  return name;
}

bool looks_like_tar(const std::string& data) {
  const bool ustar = data.size() >= 262 && data.compare(257, 5, "ustar") == 0;
  const bool gzip = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                    static_cast<unsigned char>(data[1]) == 0x8b;
  return ustar || gzip;
}

ContextEntry memory_file(const std::string& name, std::string content) {
  ContextEntry e;
  e.name = name;
  e.type = '0';
  e.mode = 0600;
  e.mtime = static_cast<std::int64_t>(::time(nullptr));
  e.content = std::move(content);
  e.in_memory = true;
  return e;
}

// The entries to send for a context directory, and the Dockerfile path the engine should use.
std::vector<ContextEntry> directory_context(ClientEnv& env, BuildFlags& flags) {
  std::error_code ec;
  if (!fs::exists(flags.context, ec)) {
    throw Error("unable to prepare context: path \"" + flags.context + "\" not found");
  }
  const fs::path context = fs::canonical(flags.context, ec);
  if (ec || !fs::is_directory(context)) {
    throw Error("unable to prepare context: context must be a directory: " + flags.context);
  }
  std::string outside_content;
  bool outside = false;
  if (flags.dockerfile == "-") {
    outside = true;
    outside_content = read_all(*env.ctx.in);
  } else {
    // docker resolves -f against the current directory, not the context.
    const fs::path given =
        flags.dockerfile_given ? fs::absolute(flags.dockerfile) : context / "Dockerfile";
    struct stat st {};
    if (::lstat(given.c_str(), &st) != 0) {
      throw Error(
          "unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
          "lstat " +
          given.string() + ": no such file or directory");
    }
    const fs::path resolved = fs::weakly_canonical(given);
    const std::string relative = resolved.lexically_relative(context).generic_string();
    if (relative.empty() || relative == ".." || relative.starts_with("../")) {
      outside = true;
      outside_content = read_file(resolved);
    } else {
      flags.options.dockerfile = relative;
    }
  }
  std::vector<std::string> patterns;
  const fs::path ignore_file = context / ".dockerignore";
  if (fs::exists(ignore_file, ec)) patterns = parse_dockerignore(read_file(ignore_file));
  patterns = keep_build_files(patterns, outside ? "" : flags.options.dockerfile);
  auto entries = collect_context(context.string(), DockerignoreMatcher(patterns));
  if (outside) {
    // As docker's AddDockerfileToBuildContext: a random name, also listed in .dockerignore so
    // that COPY . never picks it up.
    const std::string name = random_dockerfile_name();
    flags.options.dockerfile = name;
    entries.push_back(memory_file(name, outside_content));
    auto ignore = std::find_if(entries.begin(), entries.end(),
                               [](const ContextEntry& e) { return e.name == ".dockerignore"; });
    if (ignore != entries.end()) {
      std::string text = read_file(ignore->source) + "\n" + name + "\n";
      const auto mode = ignore->mode;
      *ignore = memory_file(".dockerignore", text);
      ignore->mode = mode;
    } else {
      entries.push_back(memory_file(".dockerignore", "\n" + name + "\n"));
    }
  }
  return entries;
}

int build(ClientEnv& env, BuildFlags& flags) {
  for (const auto& tag : flags.options.tags) {
    try {
      check_reference_format(tag);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("invalid argument \"" + tag + "\" for \"-t, --tag\" flag: " + e.what());
    }
  }
  if (flags.context.find("://") != std::string::npos || flags.context.starts_with("git@")) {
    throw Error("unable to prepare context: remote build contexts (" + flags.context +
                ") are not supported by berth yet; clone or download it and build the directory");
  }
  if (flags.context == "-" && flags.dockerfile == "-") {
    throw InvalidArgument(
        "invalid argument: can't use stdin for both build context and "
        "dockerfile");
  }
  std::string stdin_tar;
  std::unique_ptr<ContextTar> tar;
  if (flags.context == "-") {
    std::string data = read_all(*env.ctx.in);
    if (looks_like_tar(data)) {
      stdin_tar = std::move(data);
      if (flags.dockerfile_given) flags.options.dockerfile = flags.dockerfile;
    } else {
      // Not an archive: docker takes it as the Dockerfile of an empty context.
      std::vector<ContextEntry> only{memory_file("Dockerfile", std::move(data))};
      only.back().mode = 0644;
      tar = std::make_unique<ContextTar>(std::move(only));
    }
  } else {
    tar = std::make_unique<ContextTar>(directory_context(env, flags));
  }
  std::size_t offset = 0, sent = 0;
  auto body = [&](char* data, std::size_t size) -> std::size_t {
    std::size_t n = 0;
    if (tar) {
      n = tar->read(data, size);
    } else {
      n = std::min(size, stdin_tar.size() - offset);
      std::memcpy(data, stdin_tar.data() + offset, n);
      offset += n;
    }
    sent += n;
    return n;
  };
  const std::string query =
      build_query(flags.options, [&env](const std::string& k) { return env.ctx.env(k); });
  std::ostringstream quiet_progress, quiet_output;
  // docker writes this while uploading, so it shows even when the engine then refuses; a quiet
  // build keeps it for stderr in case of failure.
  std::ostream& progress_out = flags.options.quiet ? quiet_progress : env.out();
  auto print_sent = [&] {
    char size_text[32];
    std::snprintf(size_text, sizeof size_text, "%8s",
                  human_size(static_cast<double>(sent), 4).c_str());
    progress_out << "Sending build context to Docker daemon " << size_text << "\r\r\n";
  };
  std::unique_ptr<http::ResponseStream> response;
  try {
    response =
        env.engine().stream("POST", query, body,
                            {{"Content-Type", "application/x-tar"}, {"X-Registry-Config", "e30="}});
  } catch (const EngineUnreachable&) {
    throw;
  } catch (const std::exception&) {
    print_sent();
    if (flags.options.quiet) env.err() << quiet_progress.str();
    throw;
  }
  print_sent();
  std::string image_id;
  const ProgressScreen screen =
      flags.options.quiet ? ProgressScreen{quiet_output, false, 80} : screen_for(env.out(), 1);
  try {
    render_progress(*response, screen, [&](const Json& aux) { image_id = get_string(aux, "ID"); });
  } catch (const EngineUnreachable&) {
    throw;
  } catch (const std::exception&) {
    // docker shows what a quiet build said before it failed, on stderr.
    if (flags.options.quiet) env.err() << quiet_progress.str() << quiet_output.str();
    throw;
  }
  if (flags.options.quiet) env.out() << quiet_output.str();
  if (!flags.iidfile.empty()) {
    std::ofstream out(flags.iidfile, std::ios::trunc);
    out << image_id;
    if (!out) throw Error("failed to write image ID to " + flags.iidfile);
  }
  return 0;
}

}  // namespace

void add_build_command(CLI::App& parent, ClientEnv& env) {
  auto flags = std::make_shared<BuildFlags>();
  auto& o = flags->options;
  auto* cmd = parent.add_subcommand("build", "Build an image from a Dockerfile");
  cmd->add_option("context", flags->context, "PATH | - (context directory, or stdin)")->required();
  cmd->add_option("-t,--tag", o.tags, "Name and optionally a tag in the \"name:tag\" format")
      ->allow_extra_args(false);
  cmd->add_option("-f,--file", flags->dockerfile,
                  "Name of the Dockerfile (default: PATH/Dockerfile)")
      ->each([flags](const std::string&) { flags->dockerfile_given = true; });
  cmd->add_option("--build-arg", o.build_args, "Set build-time variables")->allow_extra_args(false);
  cmd->add_option("--label", o.labels, "Set metadata for an image")->allow_extra_args(false);
  cmd->add_option("--target", o.target, "Set the target build stage to build");
  cmd->add_flag("--no-cache", o.no_cache, "Do not use cache when building the image");
  cmd->add_flag("--pull", o.pull, "Always attempt to pull a newer version of the image");
  cmd->add_flag("-q,--quiet", o.quiet, "Suppress the build output and print image ID on success");
  cmd->add_flag("--rm{true}", o.remove, "Remove intermediate containers after a successful build");
  cmd->add_flag("--force-rm", o.force_remove, "Always remove intermediate containers");
  cmd->add_option("--network", o.network, "Set the networking mode for the RUN instructions");
  cmd->add_option("--platform", o.platform, "Set platform if server is multi-platform capable");
  cmd->add_option("--add-host", o.extra_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  cmd->add_option("--iidfile", flags->iidfile, "Write the image ID to the file");
  cmd->callback([&env, flags] { run_command(env, [&] { return build(env, *flags); }); });
}

}  // namespace berth::cli::client
