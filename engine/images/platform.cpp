#include "engine/images/platform.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {
namespace {

struct Platform {
  std::string os, arch, variant;
  std::string text() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }
};

// containerd's platforms.Normalize for architectures.
void normalize_arch(Platform& p) {
  if (p.arch == "i386") p.arch = "386";
  if (p.arch == "x86_64" || p.arch == "x86-64" || p.arch == "amd64") {
    p.arch = "amd64";
    if (p.variant == "v1") p.variant = "";
  }
  if (p.arch == "aarch64" || p.arch == "arm64") {
    p.arch = "arm64";
    if (p.variant == "8" || p.variant == "v8") p.variant = "";
  }
  if (p.arch == "armhf") p.arch = "arm", p.variant = "v7";
  if (p.arch == "armel") p.arch = "arm", p.variant = "v6";
  if (p.arch == "arm" && p.variant.empty()) p.variant = "v7";
  if (p.arch == "arm" &&
      (p.variant == "5" || p.variant == "6" || p.variant == "7" || p.variant == "8"))
    p.variant = "v" + p.variant;
}

Platform parse(const std::string& specifier) {
  static const std::set<std::string> systems = {
      "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios",
      "js",  "linux",   "netbsd", "openbsd",   "plan9",   "solaris", "windows"};
  std::string lower = specifier;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t slash = lower.find('/', start);
    parts.push_back(lower.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const auto valid = [](const std::string& part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_' || c == '-';
    });
  };
  for (const auto& part : parts)
    if (!valid(part))
      throw InvalidArgument("\"" + part + "\" is an invalid component of \"" + specifier +
                            "\": platform specifier component must match \"^[A-Za-z0-9_-]+$\": "
                            "invalid argument");
  if (parts.size() > 3)
    throw InvalidArgument("\"" + specifier +
                          "\": cannot parse platform specifier: invalid argument");
  Platform p;
  if (parts.size() == 1) {
    // One word: an operating system on this machine's architecture, or an architecture on Linux.
    if (systems.contains(parts[0])) {
      p = {parts[0], host_architecture(), ""};
    } else {
      p = {"linux", parts[0], ""};
    }
  } else {
    p = {parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
  }
  normalize_arch(p);
  return p;
}

}  // namespace

std::string platform_mismatch(const nlohmann::json& image_config, const std::string& platform) {
  const Platform wanted = parse(platform);
  Platform actual{image_config.value("os", "linux"), image_config.value("architecture", ""),
                  image_config.value("variant", "")};
  normalize_arch(actual);
  const bool matches = wanted.os == actual.os && wanted.arch == actual.arch &&
                       (wanted.variant.empty() || wanted.variant == actual.variant);
  return matches ? "" : "wanted " + wanted.text() + ", actual: " + actual.text();
}

}  // namespace berth::engine
