#pragma once
// Resolves a Docker `User` ("name", "uid", "name:group", "uid:gid") against the container's own
// /etc/passwd and /etc/group, with the rules runc's libcontainer/user applies for dockerd.
#include <cstdint>
#include <string>
#include <vector>

namespace berth::engine {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // dockerd's list: the primary gid, the groups naming the user as a member, then --group-add.
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};

// Missing passwd/group files are treated as empty (numeric users still work). Throws
// InvalidArgument in docker's words: "unable to find user x: no matching entries in passwd file".
ResolvedUser resolve_user(const std::string& user, const std::string& passwd_path,
                          const std::string& group_path,
                          const std::vector<std::string>& group_add = {});

}  // namespace berth::engine
