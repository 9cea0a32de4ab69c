#include "engine/images/image_json.hpp"

#include "common/time_format.hpp"

namespace berth::engine {

namespace {

nlohmann::json labels_of(const Image& image) {
  const auto config = image.config.value("config", nlohmann::json::object());
  if (!config.is_object()) return nlohmann::json::object();
  const auto labels = config.value("Labels", nlohmann::json::object());
  return labels.is_object() ? labels : nlohmann::json::object();
}

std::string string_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// Docker's inspect fills an empty image comment from the newest history entry: `docker commit -m`
// records its message there only.
std::string image_comment(const nlohmann::json& config) {
  if (std::string comment = string_field(config, "comment"); !comment.empty()) return comment;
  const auto history = config.find("history");
  if (history == config.end() || !history->is_array() || history->empty()) return "";
  return string_field(history->back(), "comment");
}

// A container config as Docker's Go struct writes it: the 17 fields it always has, then the ones
// it writes only when set, in its order. API versions before 1.45 show image configs this way.
nlohmann::json legacy_container_config(const nlohmann::json& given) {
  const nlohmann::json from = given.is_object() ? given : nlohmann::json::object();
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"Hostname", "Domainname", "User", "Image", "WorkingDir"})
    out[key] = string_field(from, key);
  for (const char* key :
       {"AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce"})
    out[key] = from.contains(key) && from[key].is_boolean() ? from[key] : nlohmann::json(false);
  for (const char* key : {"Env", "Cmd", "Volumes", "Entrypoint", "OnBuild", "Labels"}) {
    const auto it = from.find(key);
    out[key] = it != from.end() ? *it : nlohmann::json(nullptr);
  }
  for (const char* key : {"ExposedPorts", "Healthcheck", "ArgsEscaped", "NetworkDisabled",
                          "MacAddress", "StopSignal", "StopTimeout", "Shell"})
    if (const auto it = from.find(key); it != from.end() && !it->is_null()) out[key] = *it;
  return out;
}

}  // namespace

nlohmann::json image_summary(const Image& image, int64_t shared_size, int64_t containers,
                             int api_version) {
  nlohmann::json j = {{"Containers", containers},
                      {"Created", image.created_unix},
                      {"Id", image.id},
                      {"Labels", labels_of(image)},
                      {"ParentId", image.parent},
                      {"RepoDigests", image.repo_digests},
                      {"RepoTags", image.repo_tags},
                      {"SharedSize", shared_size},
                      {"Size", image.size}};
  // Before 1.43 untagged images carried placeholders, which old clients print.
  if (api_version < 143 && image.repo_tags.empty() && image.repo_digests.empty()) {
    j["RepoTags"] = {"<none>:<none>"};
    j["RepoDigests"] = {"<none>@<none>"};
  }
  if (api_version < 144) {
    j["VirtualSize"] = image.size;
    // Empty lists and maps were null then.
    if (j["Labels"].empty()) j["Labels"] = nullptr;
    if (j["RepoDigests"].empty()) j["RepoDigests"] = nullptr;
  }
  return j;
}

nlohmann::json image_inspect(const Image& image,
                             const std::vector<std::filesystem::path>& layer_dirs,
                             const std::string& last_tag_time, int api_version) {
  const auto& c = image.config;
  nlohmann::json graph_data = nlohmann::json::object();
  if (!layer_dirs.empty()) {
    // As overlay2 reports an image: its top layer is the "upper", the rest the lowers.
    const auto top = layer_dirs.front().parent_path();
    graph_data["UpperDir"] = layer_dirs.front().string();
    graph_data["MergedDir"] = (top / "merged").string();
    graph_data["WorkDir"] = (top / "work").string();
    std::string lowers;
    for (size_t i = 1; i < layer_dirs.size(); ++i)
      lowers += (lowers.empty() ? "" : ":") + layer_dirs[i].string();
    if (!lowers.empty()) graph_data["LowerDir"] = lowers;
  }
  const auto config = c.find("config");
  nlohmann::json j = {
      {"Id", image.id},
      {"RepoTags", image.repo_tags},
      {"RepoDigests", image.repo_digests},
      {"Parent", image.parent},
      {"Comment", image_comment(c)},
      {"DockerVersion", string_field(c, "docker_version")},
      {"Author", string_field(c, "author")},
      {"Config", config != c.end() ? *config : nlohmann::json(nullptr)},
      {"Architecture", string_field(c, "architecture")},
      {"Os", string_field(c, "os")},
      {"Size", image.size},
      {"GraphDriver", {{"Data", graph_data}, {"Name", "overlay2"}}},
      {"RootFS", {{"Type", "layers"}, {"Layers", image.diff_ids}}},
      {"Metadata",
       {{"LastTagTime", last_tag_time.empty() ? "0001-01-01T00:00:00Z" : last_tag_time}}}};
  if (const std::string created = string_field(c, "created"); !created.empty()) {
    try {
      j["Created"] = rfc3339_nano(parse_rfc3339(created));
    } catch (const std::exception&) {
      j["Created"] = created;
    }
  }
  if (const std::string variant = string_field(c, "variant"); !variant.empty())
    j["Variant"] = variant;
  if (const std::string os_version = string_field(c, "os.version"); !os_version.empty())
    j["OsVersion"] = os_version;
  if (api_version < 144) j["VirtualSize"] = image.size;
  // Until 1.45 every config field is there, set or not, beside the builder's container and its
  // config (empty for images no `docker build` made), as clients of those versions index them.
  if (api_version < 145) {
    j["Config"] = legacy_container_config(j["Config"]);
    j["Container"] = string_field(c, "container");
    j["ContainerConfig"] = legacy_container_config(c.value("container_config", nlohmann::json()));
  }
  return j;
}

}  // namespace berth::engine
