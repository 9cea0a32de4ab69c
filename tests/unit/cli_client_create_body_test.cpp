// berth run/create flags become the create body docker sends (reference/docker-cli-requests.md).
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include "cli/client/container_flags.hpp"
#include "cli/client/image_reference.hpp"
#include "common/error.hpp"

using namespace berth::cli::client;
using berth::Json;

namespace {

// Parses a `berth run` command line the way run_berth does (prefix_command) and builds the body.
Json body_for(std::vector<std::string> args, std::vector<std::string>* rest_out = nullptr) {
  CLI::App app;
  ContainerFlags flags;
  auto* run = app.add_subcommand("run");
  run->prefix_command();
  run->set_help_flag("--help");
  add_container_flags(*run, flags, true);
  args.insert(args.begin(), "run");
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  app.parse(reversed);
  auto rest = run->remaining();
  if (rest_out) *rest_out = rest;
  CreateInputs in;
  in.image = rest.at(0);
  in.command.assign(rest.begin() + 1, rest.end());
  in.console_size = {30, 100};
  in.getenv = [](const std::string& k) -> std::optional<std::string> {
    if (k == "FROM_ENV") return std::string("yes");
    return std::nullopt;
  };
  in.read_file = [](const std::string& path) {
    if (path == "profile.json")
      return std::string("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n");
    if (path == "broken.json") return std::string("{ nope");
    if (path == "missing.json") throw berth::Error("no such file or directory");
    return std::string("# comment\nA=1\n\nFROM_ENV\nMISSING\n");
  };
  return create_body(flags, in);
}

}  // namespace

TEST_CASE("run busybox echo hi makes docker's plain attached body") {
  auto b = body_for({"--rm", "busybox", "echo", "hi"});
  CHECK(b["Image"] == "busybox");
  CHECK(b["Cmd"] == Json({"echo", "hi"}));
  CHECK(b["AttachStdout"] == true);
  CHECK(b["AttachStderr"] == true);
  CHECK(b["AttachStdin"] == false);
  CHECK(b["Tty"] == false);
  CHECK(b["Env"].is_null());
  CHECK(b["Entrypoint"].is_null());
  CHECK(b["HostConfig"]["AutoRemove"] == true);
  CHECK(b["HostConfig"]["NetworkMode"] == "default");
  CHECK(b["HostConfig"]["RestartPolicy"] == Json{{"Name", "no"}, {"MaximumRetryCount", 0}});
  CHECK(b["HostConfig"]["ConsoleSize"] == Json({0, 0}));
  CHECK(b["NetworkingConfig"]["EndpointsConfig"].contains("default"));
}

TEST_CASE("arguments after the image reach the container verbatim") {
  std::vector<std::string> rest;
  auto b = body_for({"busybox", "ls", "-la", "--rm", "-e", "X=1"}, &rest);
  CHECK(b["Cmd"] == Json({"ls", "-la", "--rm", "-e", "X=1"}));
  CHECK(b["HostConfig"]["AutoRemove"] == false);
  CHECK(b["Env"].is_null());
}

TEST_CASE("run -it sets the TTY and stdin fields and the console size") {
  auto b = body_for({"-it", "busybox", "sh"});
  CHECK(b["Tty"] == true);
  CHECK(b["OpenStdin"] == true);
  CHECK(b["StdinOnce"] == true);
  CHECK(b["AttachStdin"] == true);
  CHECK(b["HostConfig"]["ConsoleSize"] == Json({30, 100}));
}

TEST_CASE("run -d attaches nothing") {
  auto b = body_for({"-d", "-i", "busybox", "sleep", "5"});
  CHECK(b["AttachStdin"] == false);
  CHECK(b["AttachStdout"] == false);
  CHECK(b["AttachStderr"] == false);
  CHECK(b["OpenStdin"] == true);
  CHECK(b["StdinOnce"] == false);
}

TEST_CASE("the rich run flags map to docker's fields") {
  auto b = body_for({"--name",
                     "rich",
                     "-h",
                     "h",
                     "-u",
                     "1000",
                     "-w",
                     "/w",
                     "-e",
                     "X=1",
                     "-e",
                     "FROM_ENV",
                     "--entrypoint",
                     "sh",
                     "-l",
                     "k=v",
                     "-p",
                     "127.0.0.1:8443:443",
                     "-p",
                     "53:53/udp",
                     "-P",
                     "--expose",
                     "9000",
                     "-v",
                     "/tmp:/data:ro",
                     "-v",
                     "/anon",
                     "--restart",
                     "on-failure:3",
                     "--network",
                     "mynet",
                     "--memory",
                     "64m",
                     "--cpus",
                     "0.5",
                     "--pids-limit",
                     "100",
                     "--cap-add",
                     "net_admin",
                     "--cap-drop",
                     "ALL",
                     "--read-only",
                     "--tmpfs",
                     "/run",
                     "--init",
                     "--privileged",
                     "--mount",
                     "type=tmpfs,target=/t,tmpfs-size=1m",
                     "busybox",
                     "-c",
                     "sleep 1000"});
  const auto& h = b["HostConfig"];
  CHECK(b["Hostname"] == "h");
  CHECK(b["User"] == "1000");
  CHECK(b["WorkingDir"] == "/w");
  CHECK(b["Env"] == Json({"X=1", "FROM_ENV=yes"}));
  CHECK(b["Entrypoint"] == Json({"sh"}));
  CHECK(b["Labels"] == Json{{"k", "v"}});
  CHECK(b["ExposedPorts"].contains("443/tcp"));
  CHECK(b["ExposedPorts"].contains("53/udp"));
  CHECK(b["ExposedPorts"].contains("9000/tcp"));
  CHECK(h["PortBindings"]["443/tcp"] ==
        Json::parse(R"([{"HostIp":"127.0.0.1","HostPort":"8443"}])"));
  CHECK(h["PortBindings"]["53/udp"] == Json::parse(R"([{"HostIp":"","HostPort":"53"}])"));
  CHECK(h["PublishAllPorts"] == true);
  CHECK(h["Binds"] == Json({"/tmp:/data:ro"}));
  CHECK(b["Volumes"].contains("/anon"));
  CHECK(h["RestartPolicy"] == Json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}});
  CHECK(h["NetworkMode"] == "mynet");
  CHECK(b["NetworkingConfig"]["EndpointsConfig"].contains("mynet"));
  CHECK(h["Memory"] == 67108864);
  CHECK(h["NanoCpus"] == 500000000);
  CHECK(h["PidsLimit"] == 100);
  CHECK(h["CapAdd"] == Json({"CAP_NET_ADMIN"}));
  CHECK(h["CapDrop"] == Json({"ALL"}));
  CHECK(h["ReadonlyRootfs"] == true);
  CHECK(h["Tmpfs"] == Json{{"/run", ""}});
  CHECK(h["Init"] == true);
  CHECK(h["Privileged"] == true);
  CHECK(h["Mounts"][0]["Type"] == "tmpfs");
  CHECK(h["Mounts"][0]["Target"] == "/t");
  CHECK(h["Mounts"][0]["TmpfsOptions"]["SizeBytes"] == 1048576);
  CHECK(b["Cmd"] == Json({"-c", "sleep 1000"}));
}

TEST_CASE("run --env-file lines: comments skipped and names taken from the environment") {
  auto b = body_for({"--env-file", "f", "busybox"});
  CHECK(b["Env"] == Json({"A=1", "FROM_ENV=yes"}));
}

TEST_CASE("port ranges and container-only ports") {
  auto b = body_for({"-p", "8000-8001:80-81", "-p", "90", "busybox"});
  const auto& p = b["HostConfig"]["PortBindings"];
  CHECK(p["80/tcp"][0]["HostPort"] == "8000");
  CHECK(p["81/tcp"][0]["HostPort"] == "8001");
  CHECK(p["90/tcp"][0]["HostPort"] == "");
}

TEST_CASE("malformed flags are refused naming the value") {
  CHECK_THROWS_WITH(body_for({"-p", "80:99999", "busybox"}), Catch::Contains("99999"));
  CHECK_THROWS_WITH(body_for({"--restart", "sometimes", "busybox"}), Catch::Contains("sometimes"));
  CHECK_THROWS_WITH(body_for({"--memory", "lots", "busybox"}), Catch::Contains("lots"));
  CHECK_THROWS_WITH(body_for({"--rm", "--restart", "always", "busybox"}),
                    Catch::Contains("--restart and --rm"));
}

TEST_CASE("memory sizes and CPUs parse as docker parses them") {
  CHECK(parse_memory("64m") == 64 * 1024 * 1024);
  CHECK(parse_memory("1g") == 1024LL * 1024 * 1024);
  CHECK(parse_memory("512kb") == 512 * 1024);
  CHECK(parse_memory("100") == 100);
  CHECK(parse_nano_cpus("1.5") == 1500000000);
  CHECK_THROWS_AS(parse_nano_cpus("x"), berth::InvalidArgument);
}

TEST_CASE("pull references are normalised as docker normalises them") {
  auto t = pull_target("busybox");
  CHECK(t.from_image == "docker.io/library/busybox");
  CHECK(t.tag == "latest");
  t = pull_target("nosuchimage:1");
  CHECK(t.from_image == "docker.io/library/nosuchimage");
  CHECK(t.tag == "1");
  t = pull_target("localhost:5000/x/y");
  CHECK(t.from_image == "localhost:5000/x/y");
  CHECK(t.tag == "latest");
  t = pull_target("user/app:2");
  CHECK(t.from_image == "docker.io/user/app");
  CHECK(with_default_tag("busybox") == "busybox:latest");
  CHECK(with_default_tag("localhost:5000/bb") == "localhost:5000/bb:latest");
  CHECK(with_default_tag("bb:1") == "bb:1");
}

TEST_CASE("run --security-opt: seccomp profiles travel as compact JSON, systempaths stays here") {
  auto b = body_for({"--security-opt", "seccomp=profile.json", "--security-opt",
                     "no-new-privileges", "--security-opt", "seccomp=unconfined", "busybox"});
  CHECK(b["HostConfig"]["SecurityOpt"] == Json({"seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
                                                "no-new-privileges", "seccomp=unconfined"}));
  CHECK_FALSE(b["HostConfig"].contains("MaskedPaths"));

  b = body_for({"--security-opt", "systempaths=unconfined", "busybox"});
  CHECK(b["HostConfig"]["SecurityOpt"].is_null());
  CHECK(b["HostConfig"]["MaskedPaths"] == Json::array());
  CHECK(b["HostConfig"]["ReadonlyPaths"] == Json::array());

  CHECK_THROWS_WITH(body_for({"--security-opt", "apparmor", "busybox"}),
                    "Invalid --security-opt: \"apparmor\"");
  CHECK_THROWS_WITH(body_for({"--security-opt", "seccomp=missing.json", "busybox"}),
                    "opening seccomp profile (missing.json) failed: no such file or directory");
  CHECK_THROWS_WITH(body_for({"--security-opt", "seccomp=broken.json", "busybox"}),
                    Catch::Contains("compacting json for seccomp profile (broken.json) failed"));
}

TEST_CASE("run --log-driver none takes no --log-opt, as docker's CLI") {
  CHECK(body_for({"--log-driver", "none", "busybox"})["HostConfig"]["LogConfig"]["Type"] == "none");
  CHECK_THROWS_WITH(body_for({"--log-driver", "none", "--log-opt", "max-size=1m", "busybox"}),
                    "invalid logging opts for driver none");
}

TEST_CASE("run --mac-address goes into the network's endpoint and a malformed one is refused") {
  const Json body = body_for({"--mac-address", "02:42:AC:11:00:99", "busybox"});
  CHECK(body["NetworkingConfig"]["EndpointsConfig"]["default"]["MacAddress"] ==
        "02:42:AC:11:00:99");
  CHECK_FALSE(body_for({"busybox"})["NetworkingConfig"]["EndpointsConfig"]["default"].contains(
      "MacAddress"));
  CHECK_THROWS_WITH(body_for({"--mac-address", "zz", "busybox"}), "zz is not a valid mac address");
  CHECK_THROWS_WITH(body_for({"--mac-address", "02:42-ac:11:00:99", "busybox"}),
                    Catch::Contains("not a valid mac address"));
}

TEST_CASE("run --link goes to HostConfig.Links as typed and a malformed one is refused") {
  CHECK(body_for({"busybox"})["HostConfig"]["Links"].is_null());
  auto b = body_for({"--link", "db", "--link", "cache:redis", "busybox"});
  CHECK(b["HostConfig"]["Links"] == Json({"db", "cache:redis"}));
  CHECK_THROWS_WITH(
      body_for({"--link", "db:a:b", "busybox"}),
      "invalid argument \"db:a:b\" for \"--link\" flag: bad format for links: db:a:b");
}
