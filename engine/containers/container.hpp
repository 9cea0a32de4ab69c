#pragma once
// A container's record: what `docker create` asked for, what the engine derived, and its state.
// Persisted as <data-root>/containers/<id>/config.v2.json (atomically) so berthd restarts lose
// nothing.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/time_format.hpp"

namespace berth::engine {

struct ContainerState {
  std::string status = "created";  // created, running, paused, restarting, removing, exited, dead
  int pid = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;
  std::string started_at = "0001-01-01T00:00:00Z";
  std::string finished_at = "0001-01-01T00:00:00Z";
  nlohmann::json health;  // docker's State.Health while a health check runs or ran; else null

  bool running() const {
    return status == "running" || status == "paused" || status == "restarting";
  }
};

// A legacy link (--link NAME:ALIAS) this container holds to another one.
struct ContainerLink {
  std::string child_id;    // the linked container; links follow it through renames
  std::string child_name;  // its name when last seen ("/db"), shown once it is gone
  std::string alias;       // "alias": the link's name is "/<this container's name>/alias"
};

struct Container {
  std::string id;              // 64 hex
  std::string name;            // "/web"
  std::string created;         // RFC3339Nano
  std::string image;           // as the user wrote it (Config.Image)
  std::string image_id;        // sha256:…
  nlohmann::json config;       // Docker Config (Cmd, Env, Labels, …) with image defaults applied
  nlohmann::json host_config;  // Docker HostConfig as given (normalised)
  std::string path;            // argv[0] of the process
  std::vector<std::string> args;
  ContainerState state;
  int restart_count = 0;
  bool manually_stopped = false;  // `docker stop`: unless-stopped/always do not restart it
  bool has_been_started = false;
  std::string runtime;     // crun or runc, fixed at create
  nlohmann::json network;  // NetworkManager's Attachment as JSON while running (or null)
  std::vector<ContainerLink> links;

  std::string short_id() const { return id.substr(0, 12); }
  std::string bare_name() const { return name.empty() ? name : name.substr(1); }
  bool tty() const;
  // --log-driver none: the output reaches attached clients only; no log file is kept.
  bool keeps_no_log() const;

  nlohmann::json to_record() const;
  static Container from_record(const nlohmann::json& j);
};

// The network a HostConfig asks for: "bridge" for the default ("default" or unset), else as given
// ("host", "none", "container:<id>").
std::string network_mode_of(const nlohmann::json& host_config);
// --network container:X: the ID of X as resolved at create ("" on any other network).
std::string network_donor_id(const Container& c);
// The container's cgroup as the runtime's cgroupsPath (cgroupfs driver): /berth/<id>, or
// <--cgroup-parent>/<id> as dockerd joins them. A relative parent is below the runtime's own
// cgroup, hierarchy by hierarchy, as runc reads it.
std::string cgroups_path_of(const Container& c);
// A container event's Actor.Attributes, as dockerd gives them: `extra`, the name and image, and
// the container's labels (none of them replacing the others).
std::map<std::string, std::string> event_attributes(const Container& c,
                                                    std::map<std::string, std::string> extra = {});

// When the container was created. (Created texts drop trailing zeros, as Go's RFC3339Nano does,
// so the texts themselves do not sort.) The epoch for a record without a valid time.
TimePoint created_time(const Container& c);
bool created_before(const Container& a, const Container& b);

// "Up 2 seconds", "Exited (0) 5 minutes ago", "Created": the STATUS column of docker ps.
std::string human_status(const Container& c);
// "2 seconds", "About a minute", "3 hours": Docker's units.HumanDuration.
std::string human_duration(int64_t seconds);

}  // namespace berth::engine
