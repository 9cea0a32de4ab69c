// Getting layers ready outside the store lock: decompressing and hashing layer tars, and
// unpacking each new chain into a directory that commit_image() later renames into place.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/layer_unpack.hpp"
#include "engine/images/store_state.hpp"

namespace berth::engine::detail {

namespace fs = std::filesystem;

std::string write_uncompressed(const ReadFn& read, const fs::path& out, const std::string& what) {
  auto reader = TarReader::raw(read, what);
  if (!reader->next()) throw InvalidArgument(what + ": empty stream");
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw_errno("create " + out.string());
  Sha256 hash;
  std::string buffer(256 * 1024, '\0');
  while (size_t n = reader->read(buffer.data(), buffer.size())) {
    hash.update(buffer.data(), n);
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd.get(), buffer.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw_errno("write " + out.string());
      done += static_cast<size_t>(w);
    }
  }
  return "sha256:" + hash.hex();
}

std::vector<PreparedLayer> prepare_layers(const std::vector<std::pair<fs::path, std::string>>& tars,
                                          const std::set<std::string>& missing,
                                          const fs::path& work_dir,
                                          std::map<std::string, PreparedLayer>& unpacked_cache) {
  static std::atomic<uint64_t> counter{0};
  std::vector<PreparedLayer> out;
  std::string parent;
  for (const auto& [tar, diff_id] : tars) {
    PreparedLayer layer;
    layer.diff_id = diff_id;
    layer.chain_id = chain_id(parent, diff_id);
    layer.tar = tar;
    if (missing.count(layer.chain_id)) {
      if (auto it = unpacked_cache.find(layer.chain_id); it != unpacked_cache.end()) {
        layer.unpacked = it->second.unpacked;
        layer.size = it->second.size;
      } else {
        layer.unpacked = work_dir / ("layer-" + std::to_string(++counter));
        ensure_directory((layer.unpacked / "diff").string(), 0755);
        TarReader reader(tar, "layer " + diff_id);
        layer.size = extract_tar(reader, layer.unpacked / "diff", ExtractOptions{});
        write_file_atomic((layer.unpacked / "diff_id").string(), diff_id, 0600);
        write_file_atomic((layer.unpacked / "parent").string(), parent, 0600);
        write_file_atomic((layer.unpacked / "size").string(), std::to_string(layer.size), 0600);
        unpacked_cache[layer.chain_id] = layer;
      }
    }
    parent = layer.chain_id;
    out.push_back(std::move(layer));
  }
  return out;
}

}  // namespace berth::engine::detail
