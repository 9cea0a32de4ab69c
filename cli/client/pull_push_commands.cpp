// berth pull and push (and image pull/push): docker's flags and output — "Using default tag",
// the progress stream, the normalised reference after a pull (alone with -q).
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/image_pull.hpp"
#include "cli/client/image_reference.hpp"

namespace berth::cli::client {

namespace {

struct PullFlags {
  std::string reference, platform;
  bool all_tags = false, quiet = false, disable_content_trust = true;
};

int pull(ClientEnv& env, const PullFlags& flags) {
  check_reference(flags.reference, flags.all_tags);
  if (!flags.all_tags && is_name_only(flags.reference) && !flags.quiet) {
    env.out() << "Using default tag: latest\n";
  }
  std::string platform = flags.platform;
  if (platform.empty()) platform = env.ctx.env("DOCKER_DEFAULT_PLATFORM").value_or("");
  std::ostringstream discarded;
  const ProgressScreen screen =
      flags.quiet ? ProgressScreen{discarded, false, 80} : screen_for(env.out(), 1);
  pull_with_progress(env, PullRequest{flags.reference, flags.all_tags, platform}, screen);
  env.out() << canonical_reference(pull_target(flags.reference), flags.all_tags) << "\n";
  return 0;
}

struct PushFlags {
  std::string reference;
  bool all_tags = false, quiet = false, disable_content_trust = true;
};

int push(ClientEnv& env, const PushFlags& flags) {
  check_reference(flags.reference, flags.all_tags);
  if (flags.reference.find('@') != std::string::npos) {
    throw InvalidArgument("cannot push a digest reference");
  }
  const auto target = pull_target(flags.reference);
  if (!flags.all_tags && is_name_only(flags.reference) && !flags.quiet) {
    env.out() << "Using default tag: latest\n";
  }
  // docker sends the normalised name unescaped in the path: /images/localhost:5000/x/push,
  // /images/docker.io/library/busybox/push.
  std::string path = "/images/" + target.from_image + "/push";
  if (!flags.all_tags) path += "?tag=" + url_encode(target.tag);
  auto response = env.engine().stream("POST", path, {}, {{"X-Registry-Auth", kEmptyRegistryAuth}});
  std::ostringstream discarded;
  const ProgressScreen screen =
      flags.quiet ? ProgressScreen{discarded, false, 80} : screen_for(env.out(), 1);
  render_progress(*response, screen);
  if (flags.quiet) env.out() << canonical_reference(target, flags.all_tags) << "\n";
  return 0;
}

}  // namespace

void add_pull_push_commands(CLI::App& parent, ClientEnv& env) {
  auto pull_flags = std::make_shared<PullFlags>();
  auto* pull_cmd = parent.add_subcommand("pull", "Download an image from a registry");
  pull_cmd->add_option("image", pull_flags->reference, "NAME[:TAG|@DIGEST]")->required();
  pull_cmd->add_flag("-a,--all-tags", pull_flags->all_tags,
                     "Download all tagged images in the repository");
  pull_cmd->add_flag("-q,--quiet", pull_flags->quiet, "Suppress verbose output");
  pull_cmd->add_option("--platform", pull_flags->platform,
                       "Set platform if server is multi-platform capable");
  pull_cmd->add_flag("--disable-content-trust{true}", pull_flags->disable_content_trust,
                     "Skip image verification (accepted; berth does not verify signatures)");
  pull_cmd->callback(
      [&env, pull_flags] { run_command(env, [&] { return pull(env, *pull_flags); }); });

  auto push_flags = std::make_shared<PushFlags>();
  auto* push_cmd = parent.add_subcommand("push", "Upload an image to a registry");
  push_cmd->add_option("image", push_flags->reference, "NAME[:TAG]")->required();
  push_cmd->add_flag("-a,--all-tags", push_flags->all_tags,
                     "Push all tags of an image to the repository");
  push_cmd->add_flag("-q,--quiet", push_flags->quiet, "Suppress verbose output");
  push_cmd->add_flag("--disable-content-trust{true}", push_flags->disable_content_trust,
                     "Skip image signing (accepted; berth does not sign)");
  push_cmd->callback(
      [&env, push_flags] { run_command(env, [&] { return push(env, *push_flags); }); });
}

}  // namespace berth::cli::client
