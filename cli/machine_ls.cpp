// `berth machine ls`: every machine's live state, queried concurrently with one overall deadline,
// so one hung machine shows "Timeout" instead of stalling the list.
#include <CLI/CLI.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cli/machine_command_env.hpp"
#include "cli/machine_listing.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

// Takes copies of everything it uses: it may outlive the command on a detached thread.
MachineRow query_row(const DriverLoader& load_driver, const EngineVersionProbe& engine_version,
                     const std::string& machine_dir, const machine::LoadResult& entry,
                     std::chrono::milliseconds timeout) {
  MachineRow row;
  row.name = entry.name;
  if (!entry.record) {
    row.state = "Error";
    row.error = entry.error;
    return row;
  }
  row.driver = entry.record->driver_name;
  try {
    auto driver = load_driver(entry.record->driver_name, entry.record->driver_state);
    auto state = driver->state();
    row.state = std::string(drivers::state_name(state));
    if (state == drivers::MachineState::Running) {
      row.url = driver->engine_url();
      try {
        row.engine = engine_version(row.url, machine_dir, timeout);
      } catch (const std::exception& e) {
        row.engine = "Unknown";
        row.error = std::string("cannot query the engine version: ") + e.what();
      }
    }
  } catch (const std::exception& e) {
    row.state = "Error";
    row.error = e.what();
  }
  return row;
}

// Rows in name order; machines that did not answer within `timeout` show State "Timeout". Their
// threads are left to finish on their own (each driver call has its own deadline) rather than
// holding up the list.
std::vector<MachineRow> query_rows(MachineCommandEnv& env, std::chrono::milliseconds timeout) {
  auto entries = env.store().load_all();
  struct Shared {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<std::optional<MachineRow>> rows;
    std::size_t remaining = 0;
  };
  auto shared = std::make_shared<Shared>();
  shared->rows.resize(entries.size());
  shared->remaining = entries.size();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::thread([loader = env.ctx.load_driver, probe = env.ctx.engine_version,
                 dir = env.store().machine_dir(entries[i].name), shared, entry = entries[i], i,
                 timeout] {
      auto row = query_row(loader, probe, dir, entry, timeout);
      std::lock_guard lock(shared->mutex);
      shared->rows[i] = std::move(row);
      if (--shared->remaining == 0) shared->done.notify_all();
    }).detach();
  }
  std::unique_lock lock(shared->mutex);
  shared->done.wait_for(lock, timeout, [&] { return shared->remaining == 0; });
  std::vector<MachineRow> rows;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (shared->rows[i]) {
      rows.push_back(*shared->rows[i]);
    } else {
      MachineRow row;
      row.name = entries[i].name;
      row.driver = entries[i].record ? entries[i].record->driver_name : "";
      row.state = "Timeout";
      row.error = "no answer within " + std::to_string(timeout.count() / 1000) + "s";
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace

void add_ls_command(CLI::App& parent, MachineCommandEnv& env) {
  struct LsFlags {
    std::vector<std::string> filters;
    bool quiet = false;
    std::string format;
    int timeout_seconds = 10;
  };
  auto flags = std::make_shared<LsFlags>();
  auto* cmd = parent.add_subcommand("ls", "List machines");
  cmd->add_option("--filter", flags->filters,
                  "key=value: name, driver, state or active=true (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("-q,--quiet", flags->quiet, "Only machine names");
  cmd->add_option("-f,--format", flags->format, "json, or a template such as {{.Name}}");
  cmd->add_option("-t,--timeout", flags->timeout_seconds, "Seconds to wait for each machine")
      ->check(CLI::Range(1, 600));
  cmd->callback([&env, flags] {
    auto filters = parse_ls_filters(flags->filters);  // bad filters fail before any query
    auto rows = query_rows(env, std::chrono::seconds(flags->timeout_seconds));
    mark_active(rows, env.ctx.env("DOCKER_HOST").value_or(""));
    rows = apply_ls_filters(rows, filters);
    env.out() << render_ls(rows, flags->quiet, flags->format);
  });
}

}  // namespace berth::cli
