// Seccomp as dockerd applies it: the built-in profile's policy per capability set, --security-opt
// parsing with dockerd's errors, and Docker-format profiles turned into the OCI spec's section.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "common/error.hpp"
#include "engine/containers/oci_capabilities.hpp"
#include "engine/containers/oci_seccomp.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

namespace {

json with_opts(std::initializer_list<const char*> opts) {
  json hc = {{"SecurityOpt", json::array()}};
  for (const char* o : opts) hc["SecurityOpt"].push_back(o);
  return hc;
}

// The rules of an OCI seccomp section that name `call`.
std::vector<json> rules_for(const json& seccomp, const std::string& call) {
  std::vector<json> out;
  for (const auto& rule : seccomp["syscalls"])
    for (const auto& name : rule["names"])
      if (name == call) out.push_back(rule);
  return out;
}

// Allowed with no condition on its arguments.
bool allowed_outright(const json& seccomp, const std::string& call) {
  for (const auto& rule : rules_for(seccomp, call))
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) return true;
  return false;
}

std::vector<std::string> with_cap(std::string cap) {
  auto caps = default_capabilities();
  caps.push_back(std::move(cap));
  return caps;
}

}  // namespace

TEST_CASE("seccomp: the built-in profile for Docker's default capabilities", "[runtime]") {
  const json s = oci_seccomp(json::object(), default_capabilities());
  REQUIRE(s.is_object());
  CHECK(s["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(s["defaultErrnoRet"] == 1);
  REQUIRE(!s["architectures"].empty());
#if defined(__x86_64__)
  CHECK(s["architectures"][0] == "SCMP_ARCH_X86_64");
  for (const auto& arch : s["architectures"])
    CHECK(std::set<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}.contains(
        arch.get<std::string>()));
  CHECK(allowed_outright(s, "arch_prctl"));
#endif
  for (const char* ordinary : {"read", "write", "openat", "execve", "futex", "chroot", "mknod",
                               "setuid", "ptrace", "process_vm_readv"})
    CHECK(allowed_outright(s, ordinary));
  for (const char* gated :
       {"mount", "umount2", "unshare", "setns", "bpf", "perf_event_open", "reboot", "init_module",
        "settimeofday", "keyctl", "add_key", "io_uring_setup", "userfaultfd", "kexec_load",
        "open_by_handle_at", "swapon", "acct", "vhangup", "sethostname"})
    CHECK(rules_for(s, gated).empty());

  // clone only without namespace flags; clone3 answers ENOSYS so libc falls back to clone.
  const auto clone = rules_for(s, "clone");
  REQUIRE(clone.size() == 1);
  REQUIRE(clone[0]["args"].size() == 1);
  CHECK(clone[0]["args"][0]["op"] == "SCMP_CMP_MASKED_EQ");
  CHECK(clone[0]["args"][0]["valueTwo"] == 0x7E020000);
  const auto clone3 = rules_for(s, "clone3");
  REQUIRE(clone3.size() == 1);
  CHECK(clone3[0]["action"] == "SCMP_ACT_ERRNO");
  CHECK(clone3[0]["errnoRet"] == 38);

  // socket: anything but AF_VSOCK; personality: the harmless personas only.
  const auto socket = rules_for(s, "socket");
  REQUIRE(socket.size() == 1);
  CHECK(socket[0]["args"][0] ==
        json{{"index", 0}, {"value", 40}, {"valueTwo", 0}, {"op", "SCMP_CMP_NE"}});
  CHECK(rules_for(s, "personality").size() == 5);
  CHECK_FALSE(allowed_outright(s, "personality"));
}

TEST_CASE("seccomp: capabilities open the calls they make legitimate", "[runtime]") {
  const json admin = oci_seccomp(json::object(), with_cap("CAP_SYS_ADMIN"));
  for (const char* call : {"mount", "unshare", "setns", "clone", "clone3", "sethostname"})
    CHECK(allowed_outright(admin, call));
  CHECK(rules_for(admin, "clone3").size() == 1);  // no ENOSYS rule any more

  CHECK(allowed_outright(oci_seccomp(json::object(), with_cap("CAP_SYS_TIME")), "settimeofday"));
  CHECK(allowed_outright(oci_seccomp(json::object(), with_cap("CAP_SYS_MODULE")), "init_module"));
  CHECK(allowed_outright(oci_seccomp(json::object(), with_cap("CAP_SYS_PTRACE")), "kcmp"));
  CHECK(allowed_outright(oci_seccomp(json::object(), with_cap("CAP_BPF")), "bpf"));

  // --cap-drop sys_chroot takes chroot away with the capability.
  auto fewer = tweak_capabilities({}, {"SYS_CHROOT"}, false);
  CHECK(rules_for(oci_seccomp(json::object(), fewer), "chroot").empty());
}

TEST_CASE("seccomp: privileged, unconfined and the engine's default", "[runtime]") {
  const auto caps = default_capabilities();
  CHECK(oci_seccomp({{"Privileged", true}}, all_capabilities()).is_null());
  CHECK(oci_seccomp(with_opts({"seccomp=unconfined"}), caps).is_null());
  CHECK(oci_seccomp(with_opts({"seccomp:unconfined"}), caps).is_null());  // the old separator
  CHECK(oci_seccomp(json::object(), caps, "unconfined").is_null());
  // The container's own choice wins over the engine's default.
  CHECK(oci_seccomp(with_opts({"seccomp=builtin"}), caps, "unconfined").is_object());
  const json custom = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", json::array()}};
  CHECK(oci_seccomp(json::object(), caps, custom.dump())["defaultAction"] == "SCMP_ACT_ALLOW");
}

TEST_CASE("seccomp: --security-opt parsed and refused as dockerd does", "[runtime]") {
  CHECK(parse_security_options(with_opts({"no-new-privileges"})).no_new_privileges);
  CHECK(parse_security_options(with_opts({"no-new-privileges=true"})).no_new_privileges);
  CHECK(parse_security_options(with_opts({"no-new-privileges:1"})).no_new_privileges);
  CHECK_FALSE(parse_security_options(with_opts({"no-new-privileges=false"})).no_new_privileges);
  CHECK(parse_security_options(with_opts({"apparmor=docker-default"})).apparmor ==
        "docker-default");
  CHECK(parse_security_options(with_opts({"label=disable"})).label ==
        std::vector<std::string>{"disable"});
  CHECK(parse_security_options(json::object()).seccomp.empty());

  CHECK_THROWS_WITH(parse_security_options(with_opts({"foo=bar"})),
                    "invalid --security-opt 2: \"foo=bar\"");
  CHECK_THROWS_WITH(parse_security_options(with_opts({"nonsense"})),
                    "invalid --security-opt 1: \"nonsense\"");
  CHECK_THROWS_WITH(parse_security_options(with_opts({"no-new-privileges=maybe"})),
                    "invalid --security-opt 2: \"no-new-privileges=maybe\"");
  CHECK_THROWS_AS(parse_security_options(with_opts({"seccomp={not json"})), InvalidArgument);
  CHECK_THROWS_WITH(parse_security_options(with_opts({"seccomp=[1,2]"})),
                    Catch::Contains("Decoding seccomp profile failed"));
}

TEST_CASE("seccomp: a Docker-format profile becomes the OCI section", "[runtime]") {
  const auto caps = default_capabilities();
  const json profile = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", 38},
      {"archMap",
       {{{"architecture", "SCMP_ARCH_X86_64"}, {"subArchitectures", {"SCMP_ARCH_X86"}}},
        {{"architecture", "SCMP_ARCH_AARCH64"}, {"subArchitectures", {"SCMP_ARCH_ARM"}}}}},
      {"syscalls",
       {{{"name", "read"}, {"action", "SCMP_ACT_ALLOW"}},
        {{"names", {"write"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}},
        {{"names", {"mount"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}},
        {{"names", {"future"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"includes", {{"minKernel", "99.0"}}}},
        {{"names", {"old"}}, {"action", "SCMP_ACT_LOG"}, {"excludes", {{"minKernel", "2.6"}}}},
        {{"names", {"kill"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"args", {{{"index", 1}, {"value", 9}, {"op", "SCMP_CMP_NE"}}}}}}}};
  const json s = docker_profile_to_oci(profile, caps);
  CHECK(s["defaultAction"] == "SCMP_ACT_ERRNO");
  CHECK(s["defaultErrnoRet"] == 38);
#if defined(__x86_64__)
  CHECK(s["architectures"][0] == "SCMP_ARCH_X86_64");
  CHECK(s["architectures"].size() <= 2);
#endif
  CHECK(rules_for(s, "read").size() == 1);
  CHECK(rules_for(s, "write")[0]["errnoRet"] == 13);
  CHECK(rules_for(s, "mount").empty());   // needs CAP_SYS_ADMIN
  CHECK(rules_for(s, "future").empty());  // needs a kernel this machine does not have
  CHECK(rules_for(s, "old").empty());     // only for kernels older than 2.6
  CHECK(rules_for(s, "kill")[0]["args"][0] ==
        json{{"index", 1}, {"value", 9}, {"valueTwo", 0}, {"op", "SCMP_CMP_NE"}});
  CHECK(rules_for(docker_profile_to_oci(profile, with_cap("CAP_SYS_ADMIN")), "mount").size() == 1);

  // An explicit architectures list is kept as written.
  const json listed = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_X86"}}};
  CHECK(docker_profile_to_oci(listed, caps)["architectures"] == json{"SCMP_ARCH_X86"});
}

TEST_CASE("seccomp: malformed profiles are refused naming the fault", "[runtime]") {
  const auto caps = default_capabilities();
  auto refuses = [&](const json& profile, const std::string& words) {
    CHECK_THROWS_WITH(docker_profile_to_oci(profile, caps), Catch::Contains(words));
  };
  refuses({{"defaultAction", "SCMP_ACT_BOGUS"}}, "unknown action \"SCMP_ACT_BOGUS\"");
  refuses({{"defaultAction", "SCMP_ACT_ALLOW"},
           {"architectures", {"SCMP_ARCH_X86_64"}},
           {"archMap", {{{"architecture", "SCMP_ARCH_X86_64"}}}}},
          "both 'architectures' and 'archMap'");
  refuses({{"defaultAction", "SCMP_ACT_ALLOW"},
           {"syscalls", {{{"name", "a"}, {"names", {"b"}}, {"action", "SCMP_ACT_ALLOW"}}}}},
          "'name' and 'names'");
  refuses({{"defaultAction", "SCMP_ACT_ALLOW"},
           {"syscalls",
            {{{"names", {"a"}},
              {"action", "SCMP_ACT_ALLOW"},
              {"args", {{{"index", 0}, {"op", "SCMP_CMP_SOMETIMES"}}}}}}}},
          "unknown operator \"SCMP_CMP_SOMETIMES\"");
  refuses({{"defaultAction", "SCMP_ACT_ALLOW"},
           {"syscalls",
            {{{"names", {"a"}},
              {"action", "SCMP_ACT_ALLOW"},
              {"args", {{{"index", 7}, {"op", "SCMP_CMP_EQ"}}}}}}}},
          "argument index 7 is out of range");
  refuses(
      {{"defaultAction", "SCMP_ACT_ALLOW"},
       {"syscalls",
        {{{"names", {"a"}}, {"action", "SCMP_ACT_ALLOW"}, {"includes", {{"minKernel", "four"}}}}}}},
      "invalid minKernel \"four\"");
  refuses({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", "read"}},
          "\"syscalls\" must be an array");
}
