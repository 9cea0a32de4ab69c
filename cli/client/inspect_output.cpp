#include "cli/client/inspect_output.hpp"

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

}  // namespace berth::cli::client
