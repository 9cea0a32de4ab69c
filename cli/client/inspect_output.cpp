#include "cli/client/inspect_output.hpp"

#include "cli/client/client_env.hpp"
#include "cli/client/engine_client.hpp"
#include "cli/client/go_template.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

void print_inspected(std::ostream& out, const std::vector<std::string>& bodies,
                     const std::string& format) {
  if (format.empty()) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& body : bodies) array.push_back(nlohmann::ordered_json::parse(body));
    out << array.dump(4) << "\n";
    return;
  }
  for (const auto& body : bodies) {
    out << (format == "json" ? Json::parse(body).dump()
                             : render_go_template(format, Json::parse(body)))
        << "\n";
  }
}

int inspect_named(ClientEnv& env, const std::string& collection,
                  const std::vector<std::string>& names, const std::string& format) {
  std::vector<std::string> bodies, errors;
  for (const auto& name : names) {
    try {
      bodies.push_back(env.engine().call("GET", collection + url_encode(name)).body);
    } catch (const EngineUnreachable&) {
      throw;
    } catch (const std::exception& e) {
      errors.push_back(describe_failure(e));
    }
  }
  print_inspected(env.out(), bodies, format);
  for (const auto& e : errors) env.err() << e << "\n";
  return errors.empty() ? 0 : kExitFailure;
}

}  // namespace berth::cli::client
