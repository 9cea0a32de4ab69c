// berth load, save, tag, rmi, history (and image load/save/tag/rm/history).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/client/attach_session.hpp"
#include "cli/client/client_env.hpp"
#include "cli/client/go_template.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/listing.hpp"
#include "cli/progress/json_message_stream.hpp"
#include "common/unique_fd.hpp"

namespace berth::cli::client {

namespace {

int load_images(ClientEnv& env, const std::string& input, bool quiet) {
  UniqueFd fd(input.empty() ? ::dup(0) : ::open(input.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error("open " + input + ": " + std::strerror(errno));
  if (input.empty() && ::isatty(fd.get())) {
    throw InvalidArgument(
        "requested load from stdin, but stdin is empty or a terminal: use -i FILE or pipe a tar");
  }
  // As docker: progress only on a terminal, and only without -q.
  const bool terminal = ::isatty(1) == 1;
  auto response = env.engine().stream(
      "POST", std::string("/images/load?quiet=") + (quiet || !terminal ? "1" : "0"),
      [&](char* data, size_t size) -> size_t {
        while (true) {
          ssize_t n = ::read(fd.get(), data, size);
          if (n >= 0) return static_cast<size_t>(n);
          if (errno != EINTR) throw_errno("read " + (input.empty() ? "stdin" : input));
        }
      },
      {{"Content-Type", "application/x-tar"}});
  progress::JsonMessageStream messages(env.out(), terminal, terminal_size(1).second);
  std::string line;
  while (response->read_line(line)) messages.feed(line + "\n");
  messages.finish();
  return 0;
}

int save_images(ClientEnv& env, const std::vector<std::string>& names, const std::string& output) {
  if (output.empty() && ::isatty(1)) {
    throw InvalidArgument("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  }
  std::string query;
  for (const auto& n : names) query += (query.empty() ? "?names=" : "&names=") + url_encode(n);
  auto response = env.engine().stream("GET", "/images/get" + query);
  UniqueFd fd(output.empty()
                  ? ::dup(1)
                  : ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw Error("failed to save image: open " + output + ": " + std::strerror(errno));
  std::vector<char> buffer(256 * 1024);
  while (size_t n = response->read_some(buffer.data(), buffer.size())) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(fd.get(), buffer.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw_errno("write " + (output.empty() ? std::string("stdout") : output));
      done += static_cast<size_t>(w);
    }
  }
  return 0;
}

int tag_image(ClientEnv& env, const std::string& source, const std::string& target) {
  std::string repo = target, tag;
  auto colon = target.rfind(':');
  auto slash = target.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    repo = target.substr(0, colon);
    tag = target.substr(colon + 1);
  }
  env.engine().call("POST", "/images/" + url_encode(source) + "/tag?repo=" + url_encode(repo) +
                                (tag.empty() ? "" : "&tag=" + url_encode(tag)));
  return 0;
}

int remove_images(ClientEnv& env, const std::vector<std::string>& names, bool force,
                  bool no_prune) {
  return for_each_name(env, names, [&](const std::string& name) {
    std::string q = force ? "?force=1" : "";
    if (no_prune) q += q.empty() ? "?noprune=1" : "&noprune=1";
    auto result = env.engine().call_json("DELETE", "/images/" + url_encode(name) + q);
    std::string lines;
    for (const auto& item : result.is_array() ? result : Json::array()) {
      for (const char* what : {"Untagged", "Deleted"})
        if (item.contains(what))
          lines += (lines.empty() ? "" : "\n") + std::string(what) + ": " + get_string(item, what);
    }
    return lines;
  });
}

struct HistoryFlags {
  std::string image, format;
  bool no_trunc = false, quiet = false, human = true;
};

int show_history(ClientEnv& env, const HistoryFlags& flags) {
  auto layers = env.engine().call_json("GET", "/images/" + url_encode(flags.image) + "/history");
  std::vector<Json> rows;
  for (const auto& layer : layers) {
    std::string id = get_string(layer, "Id");
    if (!flags.no_trunc && id != "<missing>") id = short_id(id);
    std::string created_by = get_string(layer, "CreatedBy");
    if (!flags.no_trunc) created_by = ellipsis(created_by, 45);
    const auto created = get_int64(layer, "Created");
    const auto size = get_int64(layer, "Size");
    rows.push_back(
        Json{{"ID", id},
             {"CreatedSince", flags.human ? time_ago(created) : go_time_string(created)},
             {"CreatedAt", go_time_string(created)},
             {"CreatedBy", created_by},
             {"Size", flags.human ? human_size(static_cast<double>(size)) : std::to_string(size)},
             {"Comment", get_string(layer, "Comment")}});
  }
  if (flags.quiet) {
    for (const auto& row : rows) env.out() << get_string(row, "ID") << "\n";
    return 0;
  }
  static const ListingStyle style{
      "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
      {{"ID", "IMAGE"},
       {"CreatedSince", "CREATED"},
       {"CreatedAt", "CREATED AT"},
       {"CreatedBy", "CREATED BY"},
       {"Size", "SIZE"},
       {"Comment", "COMMENT"}}};
  env.out() << render_listing(flags.format, rows, style);
  return 0;
}

}  // namespace

void add_image_commands(CLI::App& parent, ClientEnv& env, bool grouped) {
  auto load = std::make_shared<std::pair<std::string, bool>>();
  auto* load_cmd = parent.add_subcommand("load", "Load an image from a tar archive or STDIN");
  load_cmd->add_option("-i,--input", load->first, "Read from tar archive file, instead of STDIN");
  load_cmd->add_flag("-q,--quiet", load->second, "Suppress the load output");
  load_cmd->callback([&env, load] {
    run_command(env, [&] { return load_images(env, load->first, load->second); });
  });

  auto save = std::make_shared<std::pair<std::vector<std::string>, std::string>>();
  auto* save_cmd =
      parent.add_subcommand("save", "Save images to a tar archive (STDOUT by default)");
  save_cmd->add_option("images", save->first, "Images")->required();
  save_cmd->add_option("-o,--output", save->second, "Write to a file, instead of STDOUT");
  save_cmd->callback([&env, save] {
    run_command(env, [&] { return save_images(env, save->first, save->second); });
  });

  auto tag = std::make_shared<std::vector<std::string>>();
  auto* tag_cmd =
      parent.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  tag_cmd->add_option("images", *tag, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
      ->required()
      ->expected(2);
  tag_cmd->callback(
      [&env, tag] { run_command(env, [&] { return tag_image(env, (*tag)[0], (*tag)[1]); }); });

  struct RmiFlags {
    std::vector<std::string> names;
    bool force = false, no_prune = false;
  };
  auto rmi = std::make_shared<RmiFlags>();
  auto* rmi_cmd = parent.add_subcommand(grouped ? "rm" : "rmi", "Remove one or more images");
  if (grouped) rmi_cmd->alias("remove");
  rmi_cmd->add_option("images", rmi->names, "Images")->required();
  rmi_cmd->add_flag("-f,--force", rmi->force, "Force removal of the image");
  rmi_cmd->add_flag("--no-prune", rmi->no_prune, "Do not delete untagged parents");
  rmi_cmd->callback([&env, rmi] {
    run_command(env, [&] { return remove_images(env, rmi->names, rmi->force, rmi->no_prune); });
  });

  auto history = std::make_shared<HistoryFlags>();
  auto* history_cmd = parent.add_subcommand("history", "Show the history of an image");
  history_cmd->add_option("image", history->image, "Image")->required();
  history_cmd->add_flag("--no-trunc", history->no_trunc, "Don't truncate output");
  history_cmd->add_flag("-q,--quiet", history->quiet, "Only show image IDs");
  history_cmd->add_flag("-H,--human{true}", history->human,
                        "Print sizes and dates in human readable format");
  history_cmd->add_option("--format", history->format,
                          "Format output: table, json or a Go template");
  history_cmd->callback(
      [&env, history] { run_command(env, [&] { return show_history(env, *history); }); });
}

}  // namespace berth::cli::client
