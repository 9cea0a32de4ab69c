#pragma once
// The JSON docker clients read for images: the GET /images/json summary and the
// GET /images/{name}/json inspect document, as dockerd 28 writes them.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/images/image_store.hpp"

namespace berth::engine {

// `shared_size` and `containers` are -1 when not computed. `api_version` as major*100+minor.
nlohmann::json image_summary(const Image& image, int64_t shared_size, int64_t containers,
                             int api_version);

// `layer_dirs` topmost first (ImageStore::layer_dirs); `last_tag_time` "" when never tagged.
nlohmann::json image_inspect(const Image& image,
                             const std::vector<std::filesystem::path>& layer_dirs,
                             const std::string& last_tag_time, int api_version);

}  // namespace berth::engine
