#include "cli/completion/completion_scripts.hpp"

#include <set>

#include "common/error.hpp"

namespace berth::cli::completion {

namespace {

// Command and option names are plain words; anything a shell would read specially is left out
// rather than quoted, so the tables below stay valid in all three shells.
bool plain_word(const std::string& word) {
  if (word.empty()) return false;
  for (char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!plain_word(word)) continue;
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::vector<std::string> option_names(const CommandSpec& command, bool values_only) {
  std::vector<std::string> names;
  for (const auto& option : command.options) {
    if (values_only && !option.takes_value) continue;
    names.insert(names.end(), option.names.begin(), option.names.end());
  }
  return names;
}

const char* kind_word(ArgumentKind kind) {
  switch (kind) {
    case ArgumentKind::Container:
      return "container";
    case ArgumentKind::Image:
      return "image";
    case ArgumentKind::Machine:
      return "machine";
    case ArgumentKind::None:
      break;
  }
  return "";
}

// A lookup function over the tree: `NAME PATH` prints the words `column` gives for PATH.
// bash/zsh form: a case statement; fish form: a switch.
template <typename Column>
std::string sh_table(const std::string& name, const std::vector<CommandSpec>& tree, Column column) {
  std::string out = name + "() {\n  case \"$1\" in\n";
  for (const auto& command : tree) {
    const std::string words = column(command);
    if (words.empty()) continue;
    out += "    '" + command.path + "') echo '" + words + "' ;;\n";
  }
  return out + "  esac\n}\n";
}

template <typename Column>
std::string fish_table(const std::string& name, const std::vector<CommandSpec>& tree,
                       Column column) {
  std::string out = "function " + name + "\n    switch \"$argv[1]\"\n";
  for (const auto& command : tree) {
    const std::string words = column(command);
    if (words.empty()) continue;
    out += "        case '" + command.path + "'\n            string split ' ' -- '" + words + "'\n";
  }
  return out + "    end\nend\n";
}

// The tables both script families share, each as a function of the command path.
template <typename Table>
std::string tables(const std::vector<CommandSpec>& tree, const std::string& prefix, Table table) {
  std::string out;
  out += table(prefix + "subcommands", tree,
               [](const CommandSpec& c) { return join_words(c.subcommands); });
  out += table(prefix + "options", tree,
               [](const CommandSpec& c) { return join_words(option_names(c, false)); });
  out += table(prefix + "value_options", tree,
               [](const CommandSpec& c) { return join_words(option_names(c, true)); });
  out += table(prefix + "positional", tree, [](const CommandSpec& c) -> std::string {
    const auto spec = positional_spec(c.path);
    if (spec.kind == ArgumentKind::None) return "";
    return std::string(kind_word(spec.kind)) + (spec.only_first ? " first" : " all");
  });
  // Options whose value is a name berth can list.
  std::set<std::string> seen;
  std::vector<CommandSpec> by_option;
  for (const auto& command : tree) {
    for (const auto& name : option_names(command, true)) {
      const auto kind = option_value_kind(name);
      if (kind == ArgumentKind::None || !seen.insert(name).second) continue;
      by_option.push_back({name, {kind_word(kind)}, {}});
    }
  }
  out += table(prefix + "option_kind", by_option,
               [](const CommandSpec& c) { return join_words(c.subcommands); });
  return out;
}

const char* kBashLogic =
    R"SH(# Names berth can list, from the engine or machine store the typed global options select.
_berth_live() {
  case "$1" in
    container) berth "${_berth_globals[@]}" ps -a --format '{{.Names}}' 2>/dev/null ;;
    image) berth "${_berth_globals[@]}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
             grep -v '<none>' ;;
    machine) berth "${_berth_globals[@]}" machine ls -q 2>/dev/null ;;
  esac
}

_berth() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local command_path='' word i skip=0 args=0
  _berth_globals=()
  # (Not "path": zsh ties that name to PATH.)
  # Walk what is typed: subcommand words extend the path, options (and their values) are skipped,
  # anything else is a positional argument.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((skip)); then
      skip=0
      [ -z "$command_path" ] && _berth_globals+=("$word")
      continue
    fi
    if [[ $word == -* ]]; then
      if [[ $word != *=* && " $(_berth_value_options "$command_path") " == *" $word "* ]]; then skip=1; fi
      [ -z "$command_path" ] && _berth_globals+=("$word")
      continue
    fi
    if ((args == 0)) && [[ " $(_berth_subcommands "$command_path") " == *" $word "* ]]; then
      command_path=${command_path:+$command_path }$word
    else
      args=$((args + 1))
    fi
  done
  local words=''
  if ((skip)); then
    local kind
    kind=$(_berth_option_kind "$prev")
    if [ -n "$kind" ]; then
      words=$(_berth_live "$kind")
    else
      COMPREPLY=($(compgen -f -- "$cur"))
      return
    fi
  elif [[ $cur == -* ]]; then
    words=$(_berth_options "$command_path")
  elif ((args == 0)) && [ -n "$(_berth_subcommands "$command_path")" ]; then
    words=$(_berth_subcommands "$command_path")
  else
    local spec
    spec=$(_berth_positional "$command_path")
    if [ -n "$spec" ] && { [ "${spec#* }" = all ] || ((args == 0)); }; then
      words=$(_berth_live "${spec%% *}")
    else
      COMPREPLY=($(compgen -f -- "$cur"))
      return
    fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _berth berth
)SH";

const char* kFishLogic = R"FISH(function __berth_live
    switch $argv[1]
        case container
            berth $__berth_globals ps -a --format '{{.Names}}' 2>/dev/null
        case image
            berth $__berth_globals images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | string match -v '*<none>*'
        case machine
            berth $__berth_globals machine ls -q 2>/dev/null
    end
end

function __berth_complete
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cur (commandline -ct)
    set -l command_path ''
    set -l skip 0
    set -l args 0
    set -l prev ''
    set -g __berth_globals
    for word in $tokens
        set prev $word
        if test $skip -eq 1
            set skip 0
            test -z "$command_path"; and set -a __berth_globals $word
            continue
        end
        if string match -q -- '-*' $word
            if not string match -q -- '*=*' $word; and contains -- $word (__berth_value_options "$command_path")
                set skip 1
            end
            test -z "$command_path"; and set -a __berth_globals $word
            continue
        end
        if test $args -eq 0; and contains -- $word (__berth_subcommands "$command_path")
            set command_path (string trim -- "$command_path $word")
        else
            set args (math $args + 1)
        end
    end
    if test $skip -eq 1
        set -l kind (__berth_option_kind $prev)
        if test -n "$kind"
            __berth_live $kind
        else
            __fish_complete_path $cur
        end
    else if string match -q -- '-*' $cur
        __berth_options "$command_path"
    else if test $args -eq 0; and set -l subs (__berth_subcommands "$command_path"); and test -n "$subs"
        printf '%s\n' $subs
    else
        set -l spec (string split ' ' -- (__berth_positional "$command_path"))
        if test -n "$spec[1]"; and begin; test "$spec[2]" = all; or test $args -eq 0; end
            __berth_live $spec[1]
        else
            __fish_complete_path $cur
        end
    end
end

complete -c berth -f -a '(__berth_complete)'
)FISH";

}  // namespace

std::string bash_script(const std::vector<CommandSpec>& tree) {
  return "# berth completion for bash. Load it with: source <(berth completion bash)\n" +
         tables(tree, "_berth_",
                [](const std::string& name, const std::vector<CommandSpec>& t, auto column) {
                  return sh_table(name, t, column);
                }) +
         "\n" + kBashLogic;
}

std::string zsh_script(const std::vector<CommandSpec>& tree) {
  return "#compdef berth\n"
         "# berth completion for zsh. Load it after compinit with: source <(berth completion zsh)\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_script(tree);
}

std::string fish_script(const std::vector<CommandSpec>& tree) {
  return "# berth completion for fish. Load it with: berth completion fish | source\n" +
         tables(tree, "__berth_",
                [](const std::string& name, const std::vector<CommandSpec>& t, auto column) {
                  return fish_table(name, t, column);
                }) +
         "\n" + kFishLogic;
}

std::string completion_script(const std::string& shell, const std::vector<CommandSpec>& tree) {
  if (shell == "bash") return bash_script(tree);
  if (shell == "zsh") return zsh_script(tree);
  if (shell == "fish") return fish_script(tree);
  throw InvalidArgument("no completion for shell \"" + shell + "\": use bash, zsh or fish");
}

}  // namespace berth::cli::completion
