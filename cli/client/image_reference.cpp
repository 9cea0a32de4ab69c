#include "cli/client/image_reference.hpp"

namespace berth::cli::client {

namespace {

// Splits "name[:tag][@digest]" keeping a registry port ("localhost:5000/x") in the name.
void split_reference(const std::string& reference, std::string& name, std::string& tag) {
  name = reference;
  tag.clear();
  if (auto at = name.find('@'); at != std::string::npos) {
    tag = name.substr(at + 1);
    name = name.substr(0, at);
    return;
  }
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
}

}  // namespace

PullTarget pull_target(const std::string& reference) {
  std::string name, tag;
  split_reference(reference, name, tag);
  auto slash = name.find('/');
  const std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
  const bool has_registry =
      !first.empty() && (first.find('.') != std::string::npos ||
                         first.find(':') != std::string::npos || first == "localhost");
  if (!has_registry) {
    name = slash == std::string::npos ? "docker.io/library/" + name : "docker.io/" + name;
  }
  return {name, tag.empty() ? "latest" : tag};
}

std::string with_default_tag(const std::string& reference) {
  std::string name, tag;
  split_reference(reference, name, tag);
  return tag.empty() ? reference + ":latest" : reference;
}

}  // namespace berth::cli::client
