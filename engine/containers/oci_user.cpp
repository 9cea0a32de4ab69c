#include "engine/containers/oci_user.hpp"

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/error.hpp"

namespace berth::engine {
namespace {

// IDs above this are rejected by the kernel's uid_t handling in runc (libcontainer/user maxID).
constexpr int64_t kMaxId = 2147483647;

struct PasswdEntry {
  std::string name;
  int64_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  int64_t gid = 0;
  std::vector<std::string> members;
};

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(line);
  std::string part;
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!line.empty() && line.back() == sep) parts.emplace_back();
  return parts;
}

std::optional<int64_t> parse_id(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// nullopt when the file does not exist (runc then skips the lookups that need it).
std::optional<std::vector<PasswdEntry>> read_passwd(const std::string& path) {
  std::ifstream in(path);
  if (path.empty() || !in) return std::nullopt;
  std::vector<PasswdEntry> entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    PasswdEntry e;
    e.name = f[0];
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) continue;
    e.uid = *uid;
    e.gid = *gid;
    if (f.size() > 5) e.home = f[5];
    entries.push_back(std::move(e));
  }
  return entries;
}

std::optional<std::vector<GroupEntry>> read_group(const std::string& path) {
  std::ifstream in(path);
  if (path.empty() || !in) return std::nullopt;
  std::vector<GroupEntry> entries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    GroupEntry e;
    e.name = f[0];
    auto gid = parse_id(f[2]);
    if (!gid) continue;
    e.gid = *gid;
    if (f.size() > 3 && !f[3].empty()) e.members = split(f[3], ',');
    entries.push_back(std::move(e));
  }
  return entries;
}

uint32_t checked_id(int64_t id, const std::string& what) {
  if (id < 0 || id > kMaxId) throw InvalidArgument(what + " is out of range");
  return static_cast<uint32_t>(id);
}

}  // namespace

ResolvedUser resolve_user(const std::string& user, const std::string& passwd_path,
                          const std::string& group_path,
                          const std::vector<std::string>& group_add) {
  const auto colon = user.find(':');
  const std::string user_arg = user.substr(0, colon);
  const std::string group_arg = colon == std::string::npos ? "" : user.substr(colon + 1);
  const auto uid_arg = parse_id(user_arg);
  const auto gid_arg = parse_id(group_arg);
  const auto passwd = read_passwd(passwd_path);
  const auto groups = read_group(group_path);

  ResolvedUser result;
  int64_t uid = 0, gid = 0;
  std::string matched_name;
  const PasswdEntry* match = nullptr;
  if (passwd) {
    for (const auto& e : *passwd) {
      bool hit = user_arg.empty() ? e.uid == 0 : uid_arg ? e.uid == *uid_arg : e.name == user_arg;
      if (hit) {
        match = &e;
        break;
      }
    }
  }
  if (match != nullptr) {
    matched_name = match->name;
    uid = match->uid;
    gid = match->gid;
    if (!match->home.empty()) result.home = match->home;
  } else if (!user_arg.empty()) {
    if (!uid_arg) {
      throw InvalidArgument("unable to find user " + user_arg +
                            ": no matching entries in passwd file");
    }
    uid = *uid_arg;
  }

  std::vector<uint32_t> supplementary;
  if (!group_arg.empty()) {
    const GroupEntry* g = nullptr;
    if (groups) {
      for (const auto& e : *groups) {
        if (gid_arg ? e.gid == *gid_arg : e.name == group_arg) {
          g = &e;
          break;
        }
      }
    }
    if (g != nullptr) {
      gid = g->gid;
    } else if (gid_arg) {
      gid = *gid_arg;
    } else {
      throw InvalidArgument("unable to find group " + group_arg +
                            ": no matching entries in group file");
    }
  } else if (!matched_name.empty() && groups) {
    // Supplementary groups come only with the implicit form (no explicit group), as in runc.
    for (const auto& e : *groups) {
      for (const auto& member : e.members) {
        if (member == matched_name) {
          supplementary.push_back(checked_id(e.gid, "gid"));
          break;
        }
      }
    }
  }

  result.uid = checked_id(uid, "uid " + std::to_string(uid));
  result.gid = checked_id(gid, "gid " + std::to_string(gid));
  result.additional_gids.push_back(result.gid);
  result.additional_gids.insert(result.additional_gids.end(), supplementary.begin(),
                                supplementary.end());
  for (const auto& extra : group_add) {
    if (auto id = parse_id(extra)) {
      result.additional_gids.push_back(checked_id(*id, "gid " + extra));
      continue;
    }
    const GroupEntry* g = nullptr;
    if (groups) {
      for (const auto& e : *groups) {
        if (e.name == extra) {
          g = &e;
          break;
        }
      }
    }
    if (g == nullptr) {
      throw InvalidArgument("Unable to find group " + extra +
                            ": no matching entries in group file");
    }
    result.additional_gids.push_back(checked_id(g->gid, "gid"));
  }
  return result;
}

}  // namespace berth::engine
