#include "engine/containers/trash.hpp"

#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>

#include "common/log.hpp"

namespace fs = std::filesystem;

namespace berth::engine {
namespace {

std::string trash_dir(const std::string& root) {
  return root + "/trash";
}

void delete_in_background(fs::path path) {
  std::thread([path = std::move(path)] {
    std::error_code ec;
    // Never follows symlinks and stays within what the rename moved.
    fs::remove_all(path, ec);
    if (ec)
      log::warn("cannot delete from trash", {{"path", path.string()}, {"error", ec.message()}});
  }).detach();
}

}  // namespace

void move_to_trash(const std::string& dir, const std::string& root) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(dir, ec))) return;
  const fs::path trash = trash_dir(root);
  fs::create_directories(trash, ec);
  // Unique within the trash even when the same name is thrown away twice before it is emptied.
  static std::atomic<unsigned> counter{0};
  const fs::path target =
      trash / (fs::path(dir).filename().string() + "." + std::to_string(++counter));
  fs::rename(dir, target, ec);
  if (!ec) {
    delete_in_background(target);
    return;
  }
  log::warn("cannot move to trash, deleting in place", {{"path", dir}, {"error", ec.message()}});
  fs::remove_all(dir, ec);
}

void empty_trash(const std::string& root) {
  std::error_code ec;
  const fs::path trash = trash_dir(root);
  if (!fs::is_directory(trash, ec)) return;
  for (const auto& entry : fs::directory_iterator(trash, ec)) delete_in_background(entry.path());
}

}  // namespace berth::engine
