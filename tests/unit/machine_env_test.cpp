#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "machine/env_render.hpp"

using namespace berth;
using namespace berth::machine;

namespace {

EnvRequest dev_request(Shell shell) {
  EnvRequest request;
  request.shell = shell;
  request.machine_name = "dev";
  request.docker_host = "tcp://192.168.151.10:2376";
  request.cert_path = "/root/.berth/machines/dev";
  request.machine_ip = "192.168.151.10";
  request.command_line = "berth machine env dev";
  return request;
}

}  // namespace

TEST_CASE("env: bash", "[machine][env]") {
  CHECK(render_env(dev_request(Shell::Bash)) ==
        "export DOCKER_TLS_VERIFY=\"1\"\n"
        "export DOCKER_HOST=\"tcp://192.168.151.10:2376\"\n"
        "export DOCKER_CERT_PATH=\"/root/.berth/machines/dev\"\n"
        "export DOCKER_MACHINE_NAME=\"dev\"\n"
        "export BERTH_MACHINE_NAME=\"dev\"\n"
        "# Run this command to configure your shell: \n"
        "# eval $(berth machine env dev)\n");
}

TEST_CASE("env: fish", "[machine][env]") {
  CHECK(render_env(dev_request(Shell::Fish)) ==
        "set -gx DOCKER_TLS_VERIFY \"1\";\n"
        "set -gx DOCKER_HOST \"tcp://192.168.151.10:2376\";\n"
        "set -gx DOCKER_CERT_PATH \"/root/.berth/machines/dev\";\n"
        "set -gx DOCKER_MACHINE_NAME \"dev\";\n"
        "set -gx BERTH_MACHINE_NAME \"dev\";\n"
        "# Run this command to configure your shell: \n"
        "# eval (berth machine env dev)\n");
}

TEST_CASE("env: powershell", "[machine][env]") {
  CHECK(render_env(dev_request(Shell::Powershell)) ==
        "$Env:DOCKER_TLS_VERIFY = \"1\"\n"
        "$Env:DOCKER_HOST = \"tcp://192.168.151.10:2376\"\n"
        "$Env:DOCKER_CERT_PATH = \"/root/.berth/machines/dev\"\n"
        "$Env:DOCKER_MACHINE_NAME = \"dev\"\n"
        "$Env:BERTH_MACHINE_NAME = \"dev\"\n"
        "# Run this command to configure your shell: \n"
        "# & berth machine env dev | Invoke-Expression\n");
}

TEST_CASE("env: cmd", "[machine][env]") {
  CHECK(render_env(dev_request(Shell::Cmd)) ==
        "SET DOCKER_TLS_VERIFY=1\n"
        "SET DOCKER_HOST=tcp://192.168.151.10:2376\n"
        "SET DOCKER_CERT_PATH=/root/.berth/machines/dev\n"
        "SET DOCKER_MACHINE_NAME=dev\n"
        "SET BERTH_MACHINE_NAME=dev\n"
        "REM Run this command to configure your shell: \n"
        "REM \t@FOR /f \"tokens=*\" %i IN ('berth machine env dev') DO @%i\n");
}

TEST_CASE("env: tcsh", "[machine][env]") {
  CHECK(render_env(dev_request(Shell::Tcsh)) ==
        "setenv DOCKER_TLS_VERIFY \"1\";\n"
        "setenv DOCKER_HOST \"tcp://192.168.151.10:2376\";\n"
        "setenv DOCKER_CERT_PATH \"/root/.berth/machines/dev\";\n"
        "setenv DOCKER_MACHINE_NAME \"dev\";\n"
        "setenv BERTH_MACHINE_NAME \"dev\";\n"
        "# Run this command to configure your shell: \n"
        "# eval `berth machine env dev`\n");
}

TEST_CASE("env: --unset in every shell clears each variable", "[machine][env]") {
  auto unset = [](Shell shell) {
    auto request = dev_request(shell);
    request.unset = true;
    request.no_proxy = true;
    request.command_line = "berth machine env --unset";
    return render_env(request);
  };
  CHECK(unset(Shell::Bash) ==
        "unset DOCKER_TLS_VERIFY\nunset DOCKER_HOST\nunset DOCKER_CERT_PATH\n"
        "unset DOCKER_MACHINE_NAME\nunset BERTH_MACHINE_NAME\nunset NO_PROXY\n"
        "# Run this command to configure your shell: \n# eval $(berth machine env --unset)\n");
  CHECK_THAT(unset(Shell::Fish), Catch::Matchers::StartsWith("set -e DOCKER_TLS_VERIFY;\n"));
  CHECK_THAT(unset(Shell::Fish), Catch::Matchers::Contains("set -e NO_PROXY;\n"));
  CHECK_THAT(unset(Shell::Powershell),
             Catch::Matchers::StartsWith("Remove-Item Env:\\\\DOCKER_TLS_VERIFY\n"));
  CHECK_THAT(unset(Shell::Cmd),
             Catch::Matchers::Contains("SET DOCKER_HOST=\nSET DOCKER_CERT_PATH=\n"));
  CHECK_THAT(unset(Shell::Tcsh), Catch::Matchers::Contains("unsetenv BERTH_MACHINE_NAME;\n"));
  for (auto shell : {Shell::Bash, Shell::Fish, Shell::Powershell, Shell::Cmd, Shell::Tcsh}) {
    CHECK_THAT(unset(shell), !Catch::Matchers::Contains("192.168.151.10"));
  }
}

TEST_CASE("env: --no-proxy appends the machine IP to NO_PROXY once", "[machine][env]") {
  auto request = dev_request(Shell::Bash);
  request.no_proxy = true;
  CHECK_THAT(render_env(request),
             Catch::Matchers::Contains("export NO_PROXY=\"192.168.151.10\"\n"));
  request.current_no_proxy = "localhost,.corp";
  CHECK_THAT(render_env(request),
             Catch::Matchers::Contains("export NO_PROXY=\"localhost,.corp,192.168.151.10\"\n"));
  request.current_no_proxy = "localhost,192.168.151.10";
  CHECK_THAT(render_env(request),
             Catch::Matchers::Contains("export NO_PROXY=\"localhost,192.168.151.10\"\n"));
  request.shell = Shell::Fish;
  CHECK_THAT(render_env(request),
             Catch::Matchers::Contains("set -gx NO_PROXY \"localhost,192.168.151.10\";\n"));
  request.shell = Shell::Cmd;
  CHECK_THAT(render_env(request),
             Catch::Matchers::Contains("SET NO_PROXY=localhost,192.168.151.10\n"));
}

TEST_CASE("env: the shell is detected from $SHELL, unknown shells use POSIX syntax",
          "[machine][env]") {
  CHECK(detect_shell("/usr/bin/fish") == Shell::Fish);
  CHECK(detect_shell("/bin/zsh") == Shell::Bash);
  CHECK(detect_shell("/bin/tcsh") == Shell::Tcsh);
  CHECK(detect_shell("/usr/bin/pwsh") == Shell::Powershell);
  CHECK(detect_shell("/opt/weird/nushell") == Shell::Bash);
  CHECK(detect_shell(nullptr) == Shell::Bash);
  CHECK_THROWS_AS(parse_shell("nushell"), InvalidArgument);
  CHECK_THROWS_WITH(parse_shell("nushell"), Catch::Matchers::Contains("unknown shell \"nushell\""));
}
