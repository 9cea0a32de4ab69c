#pragma once
// `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an image
// config (the "config" part: Cmd, Env, ...). Docker accepts CMD, ENTRYPOINT, ENV, EXPOSE,
// HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and WORKDIR here.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

// Returns `config` with every change applied in order. Throws InvalidArgument naming the change
// ("FROM is not a valid change command").
nlohmann::json apply_changes(nlohmann::json config, const std::vector<std::string>& changes);

// Dockerfile word splitting for ENV/LABEL/VOLUME arguments: whitespace separates words except
// inside quotes; quotes are removed and a backslash escapes the next character.
std::vector<std::string> split_words(const std::string& text);

}  // namespace berth::engine
