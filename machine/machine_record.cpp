#include "machine/machine_record.hpp"

#include "common/error.hpp"

namespace berth::machine {

Json engine_options_to_json(const EngineOptions& options) {
  return Json{{"opts", options.opts},
              {"labels", options.labels},
              {"insecure_registries", options.insecure_registries},
              {"registry_mirrors", options.registry_mirrors},
              {"env", options.env}};
}

EngineOptions engine_options_from_json(const Json& json) {
  EngineOptions options;
  if (json.is_null()) return options;
  if (!json.is_object()) throw InvalidArgument("\"engine\" must be an object");
  options.opts = get_string_array(json, "opts");
  options.labels = get_string_array(json, "labels");
  options.insecure_registries = get_string_array(json, "insecure_registries");
  options.registry_mirrors = get_string_array(json, "registry_mirrors");
  options.env = get_string_array(json, "env");
  return options;
}

Json record_to_json(const MachineRecord& record) {
  return Json{{"name", record.name},
              {"driver", record.driver_name},
              {"driver_state", record.driver_state},
              {"engine", engine_options_to_json(record.engine)},
              {"tls_sans", record.tls_sans},
              {"ssh_host_key", record.ssh_host_key},
              {"created", record.created},
              {"ip", record.ip},
              {"os_name", record.os_name},
              {"engine_version", record.engine_version}};
}

MachineRecord record_from_json(const Json& json) {
  if (!json.is_object()) throw InvalidArgument("it is not a JSON object");
  MachineRecord record;
  record.name = get_string(json, "name");
  record.driver_name = get_string(json, "driver");
  if (record.name.empty()) throw InvalidArgument("it has no \"name\"");
  if (record.driver_name.empty()) throw InvalidArgument("it has no \"driver\"");
  const Json* state = find_field(json, "driver_state");
  if (state == nullptr || !state->is_object()) {
    throw InvalidArgument("\"driver_state\" is missing or not an object");
  }
  record.driver_state = *state;
  const Json* engine = find_field(json, "engine");
  record.engine = engine_options_from_json(engine ? *engine : Json());
  record.tls_sans = get_string_array(json, "tls_sans");
  record.ssh_host_key = get_string(json, "ssh_host_key");
  record.created = get_string(json, "created");
  record.ip = get_string(json, "ip");
  record.os_name = get_string(json, "os_name");
  record.engine_version = get_string(json, "engine_version");
  return record;
}

}  // namespace berth::machine
