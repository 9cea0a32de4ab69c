#include "cli/client/image_reference.hpp"

#include <algorithm>
#include <cctype>

#include "common/error.hpp"

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

void check_reference_format(const std::string& reference) {
  std::string name, tag;
  split_reference(reference, name, tag);
  auto path = pull_target(reference).from_image;
  if (path.starts_with("docker.io/")) path = path.substr(std::string("docker.io/").size());
  for (char c : path) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      throw InvalidArgument("invalid reference format: repository name (" + path +
                            ") must be lowercase");
    }
  }
  auto allowed = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
           c == '/' || c == ':';
  };
  if (name.empty() || name.back() == '/' || name.find("//") != std::string::npos ||
      !std::all_of(name.begin(), name.end(), allowed) ||
      (reference.find('@') == std::string::npos && reference.back() == ':')) {
    throw InvalidArgument("invalid reference format");
  }
}

bool is_name_only(const std::string& reference) {
  std::string name, tag;
  split_reference(reference, name, tag);
  return tag.empty();
}

std::string canonical_reference(const PullTarget& target, bool name_only) {
  if (name_only) return target.from_image;
  const bool digest = target.tag.find(':') != std::string::npos;
  return target.from_image + (digest ? "@" : ":") + target.tag;
}

std::string familiar_name(const std::string& normalised_name) {
  static const std::string library = "docker.io/library/", hub = "docker.io/";
  if (normalised_name.starts_with(library)) {
    const std::string rest = normalised_name.substr(library.size());
    // "library/x/y" keeps its prefix: only single-component official images drop it.
    return rest.find('/') == std::string::npos ? rest : "library/" + rest;
  }
  if (normalised_name.starts_with(hub)) return normalised_name.substr(hub.size());
  return normalised_name;
}

}  // namespace berth::cli::client
