#pragma once
// The json-file logging driver's options (`--log-opt`), read as dockerd's driver reads them when
// the container starts (daemon/logger/jsonfilelog.New):
//   max-size      go-units' FromHumanSize: decimal units, so 1k is 1000 bytes; must be positive
//   max-file      a whole number, at least 1
//   compress      Go's ParseBool; rotated files are gzipped, which needs max-size and max-file >= 2
//   labels, labels-regex, env, env-regex
//                 the container's labels and variables that every entry carries as "attrs"
//   tag           a template of the container's names and IDs ({{.Name}}, {{.ID}}, ...), also an
//                 attribute
// A value dockerd refuses is refused with its words, prefixed "failed to initialize logging
// driver: ", so the container does not start and keeps nothing half made.
#include <cstdint>
#include <string>

#include "engine/containers/container.hpp"

namespace berth::engine {

struct JsonFileLogOptions {
  int64_t max_size = -1;  // bytes per file; -1 for no limit
  int max_files = 1;
  bool compress = false;
  std::string attrs;  // the JSON object each entry carries as "attrs", as Go writes it; "" for none
};

// Throws InvalidArgument naming the option that is wrong.
JsonFileLogOptions json_file_log_options(const Container& c, const std::string& log_path);

// The options every log driver takes, checked at create as dockerd checks them: mode (blocking or
// non-blocking) and max-buffer-size (binary units, only with non-blocking). berthd's shim hands
// each line to a local file as it comes, so the container never waits on a slow log consumer in
// either mode; non-blocking's buffer has nothing to hold back.
void check_log_mode(const nlohmann::json& options);

}  // namespace berth::engine
