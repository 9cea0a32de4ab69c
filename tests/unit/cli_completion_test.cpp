// `berth completion`: the generated scripts loaded into real bash, zsh and fish, completing against
// a small command tree. A shell function named `berth` stands in for the binary the scripts ask
// for live names; it echoes the global options it was given so the tests see them passed on.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cli/completion/command_tree.hpp"
#include "cli/completion/completion_scripts.hpp"
#include "common/subprocess.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace berth::cli::completion;

namespace {

// The shape of berth's tree, in miniature.
std::vector<CommandSpec> sample_tree() {
  static std::string host, machine, name, image, storage;
  static std::vector<std::string> rest;
  static bool detach = false, force = false, quiet = false;
  CLI::App app{"berth"};
  app.add_option("-H,--host", host);
  app.add_option("--machine", machine);
  auto* run = app.add_subcommand("run", "Run a container");
  run->add_flag("-d,--detach", detach);
  run->add_option("--name", name);
  run->add_option("image", image);
  run->add_option("command", rest);
  auto* rm = app.add_subcommand("rm", "Remove containers");
  rm->add_flag("-f,--force", force);
  rm->add_option("containers", rest);
  app.add_subcommand("rmi", "Remove images")->add_option("images", rest);
  auto* container = app.add_subcommand("container", "Manage containers");
  container->add_subcommand("list", "List")->alias("ls");
  container->add_subcommand("rm", "Remove")->add_option("containers", rest);
  app.add_subcommand("secret-hidden", "")->group("");
  auto* machine_cmd = app.add_subcommand("machine", "Machines");
  machine_cmd->add_option("-s,--storage-path", storage);
  machine_cmd->add_subcommand("ls", "List")->add_flag("-q,--quiet", quiet);
  machine_cmd->add_subcommand("rm", "Remove")->add_option("names", rest);
  return command_tree(app);
}

const char* kFakeBerthSh =
    "berth() {\n"
    "  local globals=''\n"
    "  while [ $# -gt 0 ] && [ \"$1\" != ps ] && [ \"$1\" != images ] && [ \"$1\" != machine ]; "
    "do\n"
    "    globals=\"$globals$1\"; shift; done\n"
    "  case \"$1\" in\n"
    "    ps) echo web$globals; echo db ;;\n"
    "    images) echo busybox:latest; echo '<none>:<none>' ;;\n"
    "    machine) echo dev; echo staging ;;\n"
    "  esac\n"
    "}\n";

std::string run_shell(const std::vector<std::string>& argv, const std::string& script) {
  auto result = run_capture(argv, script, std::chrono::seconds(20));
  INFO("stderr: " << result.stderr_data);
  REQUIRE(result.status.success());
  return result.stdout_data;
}

// Completions bash offers for the words of `line` (the last one being completed).
std::string bash_complete(const std::string& script_path, const std::string& line) {
  std::ostringstream s;
  s << kFakeBerthSh << "source '" << script_path << "'\n"
    << "COMP_LINE='" << line << "'\n"
    << "read -r -a COMP_WORDS <<< \"$COMP_LINE\"\n"
    << "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
    << "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
    << "_berth\n"
    << "[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '\n";
  return run_shell({"bash", "--norc", "--noprofile"}, s.str());
}

// Through zsh's own bashcompinit: its compgen -F runs the function under `emulate -L sh` with
// COMP_WORDS and COMP_CWORD set as _bash_complete sets them from zsh's words and CURRENT. (Its
// -W does not filter by the typed prefix: compadd does that, here the `print` below.)
std::string zsh_complete(const std::string& script_path, const std::string& line) {
  std::ostringstream s;
  s << "autoload -U +X compinit && compinit -u\n"
    << kFakeBerthSh << "source '" << script_path << "'\n"
    << "complete_line() {\n"
    << "  local -a COMP_WORDS COMPREPLY words\n  local COMP_CWORD CURRENT\n"
    << "  words=(${=1}); [[ $1 == *' ' ]] && words+=('')\n"
    << "  CURRENT=${#words}; COMP_WORDS=(\"${words[@]}\"); (( COMP_CWORD = CURRENT - 1 ))\n"
    << "  local -a found; found=(${(f)\"$(compgen -F _berth -- \"${words[CURRENT]}\")\"})\n"
    // compadd, which gets these in a real completion, keeps those matching what is typed.
    << "  found=(${(M)found:#${words[CURRENT]}*})\n"
    << "  (( ${#found} == 0 )) || print -l -r -- $found\n"
    << "}\n"
    << "complete_line '" << line << "' | sort | tr '\\n' ' '\n";
  return run_shell({"zsh", "-f"}, s.str());
}

std::string fish_complete(const std::string& script_path, const std::string& line) {
  std::ostringstream s;
  s << "function berth\n"
    << "  set -l globals ''\n"
    << "  while test (count $argv) -gt 0; and not contains -- $argv[1] ps images machine\n"
    << "    set globals \"$globals$argv[1]\"; set -e argv[1]\n"
    << "  end\n"
    << "  switch $argv[1]\n"
    << "    case ps; echo web$globals; echo db\n"
    << "    case images; echo busybox:latest; echo '<none>:<none>'\n"
    << "    case machine; echo dev; echo staging\n"
    << "  end\n"
    << "end\n"
    << "source '" << script_path << "'\n"
    << "complete -C '" << line << "' | string replace -r '\\t.*' '' | sort | tr '\\n' ' '\n";
  return run_shell({"fish", "--no-config"}, s.str());
}

}  // namespace

TEST_CASE("the command tree lists commands options and aliases but not hidden ones",
          "[cli][completion]") {
  const auto tree = sample_tree();
  REQUIRE(tree.front().path.empty());
  CHECK(tree.front().subcommands ==
        std::vector<std::string>{"run", "rm", "rmi", "container", "machine"});
  bool has_alias_path = false;
  for (const auto& c : tree) has_alias_path |= c.path == "container ls";
  CHECK(has_alias_path);
  const auto& root_options = tree.front().options;
  REQUIRE(root_options.size() == 2);
  CHECK(root_options[0].names == std::vector<std::string>{"-H", "--host"});
  CHECK(root_options[0].takes_value);
  CHECK(positional_spec("container rm").kind == ArgumentKind::Container);
  CHECK(positional_spec("run").only_first);
  CHECK(positional_spec("machine ip").kind == ArgumentKind::Machine);
  CHECK_THROWS_WITH(completion_script("tcsh", tree), Catch::Contains("use bash, zsh or fish"));
}

TEST_CASE("bash completes commands options and live names", "[cli][completion]") {
  test::TempDir dir;
  const std::string path = dir.file("berth.bash");
  std::ofstream(path) << bash_script(sample_tree());
  CHECK(bash_complete(path, "berth r") == "rm rmi run ");
  CHECK(bash_complete(path, "berth rm ") == "db web ");
  CHECK(bash_complete(path, "berth rm -f w") == "web ");
  CHECK(bash_complete(path, "berth run ") == "busybox:latest ");
  CHECK(bash_complete(path, "berth run --") == "--detach --name ");
  CHECK(bash_complete(path, "berth run --name x b") == "busybox:latest ");
  CHECK(bash_complete(path, "berth rmi ") == "busybox:latest ");
  CHECK(bash_complete(path, "berth container ") == "list ls rm ");
  CHECK(bash_complete(path, "berth container rm ") == "db web ");
  CHECK(bash_complete(path, "berth machine ") == "ls rm ");
  CHECK(bash_complete(path, "berth machine rm ") == "dev staging ");
  CHECK(bash_complete(path, "berth machine -s /tmp/x rm s") == "staging ");
  CHECK(bash_complete(path, "berth --machine ") == "dev staging ");
  // The global options typed reach the berth that lists names: the same engine is asked.
  CHECK(bash_complete(path, "berth -H unix:///x.sock rm w") == "web-Hunix:///x.sock ");
  CHECK(bash_complete(path, "berth se") == "");  // hidden
}

TEST_CASE("zsh loads the script through bashcompinit and completes names", "[cli][completion]") {
  test::TempDir dir;
  const std::string path = dir.file("_berth");
  std::ofstream(path) << zsh_script(sample_tree());
  CHECK(zsh_complete(path, "berth r") == "rm rmi run ");
  CHECK(zsh_complete(path, "berth rm ") == "db web ");
  CHECK(zsh_complete(path, "berth machine rm d") == "dev ");
}

TEST_CASE("fish completes commands options and live names", "[cli][completion]") {
  test::TempDir dir;
  const std::string path = dir.file("berth.fish");
  std::ofstream(path) << fish_script(sample_tree());
  CHECK(fish_complete(path, "berth r") == "rm rmi run ");
  CHECK(fish_complete(path, "berth rm ") == "db web ");
  CHECK(fish_complete(path, "berth run --") == "--detach --name ");
  CHECK(fish_complete(path, "berth run ") == "busybox:latest ");
  CHECK(fish_complete(path, "berth container ") == "list ls rm ");
  CHECK(fish_complete(path, "berth machine rm ") == "dev staging ");
  CHECK(fish_complete(path, "berth --machine ") == "dev staging ");
  CHECK(fish_complete(path, "berth -H unix:///x.sock rm w") == "web-Hunix:///x.sock ");
}
