#include "engine/images/archive_spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/digest.hpp"

namespace berth::engine::detail {
namespace {

constexpr const char* kWhat = "the image archive";
constexpr size_t kMaxTextSize = 64 * 1024 * 1024;

// Joins a symlink target to the directory of its link, lexically. Empty when it leaves the
// archive, which a real docker save never does.
std::string resolve_link(const std::string& link_name, const std::string& target) {
  if (target.starts_with('/')) return {};
  std::vector<std::string> parts;
  auto push = [&](std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      if (slash == std::string_view::npos) slash = path.size();
      const std::string part(path.substr(start, slash - start));
      if (part == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = slash + 1;
    }
    return true;
  };
  const size_t slash = link_name.rfind('/');
  if (slash != std::string::npos && !push(link_name.substr(0, slash))) return {};
  if (!push(target)) return {};
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

}  // namespace

void Spool::receive(const ReadFn& read) {
  ensure_directory(dir_.string(), 0700);
  TarReader reader(read, kWhat);
  std::string buffer(256 * 1024, '\0');
  while (archive_entry* entry = reader.next()) {
    const std::string name = clean_member_name(archive_entry_pathname(entry), kWhat);
    if (name.empty()) continue;
    if (const char* target = archive_entry_hardlink(entry)) {
      const std::string target_name = clean_member_name(target, kWhat);
      if (auto it = files_.find(target_name); it != files_.end()) files_[name] = it->second;
      continue;
    }
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      const char* link = archive_entry_symlink(entry);
      const std::string target = resolve_link(name, link ? link : "");
      if (!target.empty()) links_[name] = target;
      continue;
    }
    if (type != AE_IFREG) continue;
    // Members are stored under numbers, never under their names: nothing in the archive decides a
    // path on disk.
    File file;
    file.path = dir_ / std::to_string(++counter_);
    UniqueFd fd(::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + file.path.string());
    Sha256 hash;
    while (size_t n = reader.read(buffer.data(), buffer.size())) {
      hash.update(buffer.data(), n);
      for (size_t done = 0; done < n;) {
        const ssize_t w = ::write(fd.get(), buffer.data() + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw_errno("write " + file.path.string());
        done += static_cast<size_t>(w);
      }
      file.size += static_cast<int64_t>(n);
    }
    file.digest = "sha256:" + hash.hex();
    files_[name] = std::move(file);
  }
}

const Spool::File* Spool::find(const std::string& name) const {
  std::string current = name;
  for (int hops = 0; hops < 16; ++hops) {
    if (auto it = files_.find(current); it != files_.end()) return &it->second;
    if (auto it = links_.find(current); it != links_.end()) {
      current = it->second;
      continue;
    }
    // A symlinked directory on the way ("<id> -> <other id>").
    bool replaced = false;
    for (size_t slash = current.rfind('/'); slash != std::string::npos && slash > 0;
         slash = current.rfind('/', slash - 1)) {
      if (auto it = links_.find(current.substr(0, slash)); it != links_.end()) {
        current = it->second + current.substr(slash);
        replaced = true;
        break;
      }
    }
    if (!replaced) return nullptr;
  }
  return nullptr;
}

const Spool::File& Spool::file(const std::string& name) const {
  const File* file = find(clean_member_name(name, kWhat));
  if (!file) throw InvalidArgument("invalid archive: " + name + " is missing");
  return *file;
}

std::string Spool::read_text(const std::string& name) const {
  const File& f = file(name);
  if (static_cast<size_t>(f.size) > kMaxTextSize)
    throw InvalidArgument("invalid archive: " + name + " is too large");
  return read_file(f.path.string());
}

}  // namespace berth::engine::detail
