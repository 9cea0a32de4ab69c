// Container root filesystems from the store's layers: overlay mounts (whiteouts in the upper dir
// hide lower files; lower lists longer than a page still mount), commit of an upper dir back
// into an image layer, and directory tars for export / cp.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "common/error.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/rootfs.hpp"
#include "engine_images_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::test::images;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool is_mounted(const fs::path& target) {
  const std::string mounts = read_whole("/proc/self/mounts");
  return mounts.find(" " + target.string() + " ") != std::string::npos;
}

void whiteout(const fs::path& path) {
  REQUIRE(::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
}

}  // namespace

TEST_CASE("busybox layers mount as an overlay and upper whiteouts hide lower files", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  store.load(file_reader(busybox_tar()), [](const std::string&) {});
  const Image image = store.get("busybox");
  const fs::path upper = dir / "upper", work = dir / "work", merged = dir / "merged";
  fs::create_directories(upper / "etc");
  fs::create_directories(work);
  fs::create_directories(merged);
  whiteout(upper / "etc/passwd");

  mount_overlay(store.layer_dirs(image), upper, work, merged);
  CHECK(is_mounted(merged));
  CHECK(fs::exists(merged / "bin/busybox"));
  CHECK(fs::exists(merged / "etc/group"));
  CHECK_FALSE(fs::exists(merged / "etc/passwd"));
  CHECK(fs::exists(store.layer_dirs(image)[0] / "etc/passwd"));  // only hidden
  // Writes land in the upper dir.
  { std::ofstream(merged / "new-file") << "x"; }
  CHECK(fs::exists(upper / "new-file"));
  unmount(merged);
  CHECK_FALSE(is_mounted(merged));
  CHECK_NOTHROW(unmount(merged));  // idempotent
  CHECK_NOTHROW(unmount(dir / "never-existed"));

  CHECK_THROWS_AS(mount_overlay({}, upper, work, merged), InvalidArgument);
}

TEST_CASE("a lower dir list longer than a page still mounts", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  std::vector<fs::path> lowers;
  const std::string long_name(120, 'l');
  for (int i = 0; i < 60; ++i) {  // 60 * ~170 bytes: well over 4096
    const fs::path lower = dir / (long_name + std::to_string(i)) / "diff";
    fs::create_directories(lower);
    std::ofstream(lower / ("file" + std::to_string(i))) << i;
    lowers.insert(lowers.begin(), lower);  // topmost first
  }
  std::ofstream(lowers.back() / "shadowed") << "bottom";
  std::ofstream(lowers.front() / "shadowed") << "top";
  const fs::path upper = dir / "upper", work = dir / "work", merged = dir / "merged";
  fs::create_directories(upper);
  fs::create_directories(work);
  fs::create_directories(merged);
  mount_overlay(lowers, upper, work, merged);
  CHECK(is_mounted(merged));
  CHECK(fs::exists(merged / "file0"));
  CHECK(fs::exists(merged / "file59"));
  CHECK(read_whole(merged / "shadowed") == "top");
  // The short links were only needed while mounting.
  for (const auto& entry : fs::directory_iterator(dir.path()))
    CHECK_FALSE(entry.path().filename().string().starts_with(".overlay-links"));
  unmount(merged);

  // Read-only: no upper, and a single layer becomes a bind mount.
  mount_overlay({lowers.front()}, {}, {}, merged);
  CHECK(fs::exists(merged / "file59"));
  CHECK(::access((merged / "file59").c_str(), W_OK) != 0);
  unmount(merged);
}

TEST_CASE("commit turns an upper dir into a layer with OCI whiteouts", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  ImageStore store(dir / "image");
  store.load(file_reader(busybox_tar()), [](const std::string&) {});
  const Image base = store.get("busybox");

  const fs::path upper = dir / "upper";
  fs::create_directories(upper / "etc");
  fs::create_directories(upper / "home");
  whiteout(upper / "etc/group");  // deleted in the container
  { std::ofstream(upper / "etc/motd") << "hi\n"; }
  { std::ofstream(upper / "home/only") << "1"; }
  REQUIRE(::setxattr((upper / "home").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
  fs::create_symlink("/bin/busybox", upper / "link");

  json config = base.config["config"];
  config["Cmd"] = {"cat", "/etc/motd"};
  const Image image = store.commit(upper, base, config, "committed:1", "a message", "me");
  CHECK(image.repo_tags == std::vector<std::string>{"committed:1"});
  CHECK(image.parent == base.id);
  REQUIRE(image.diff_ids.size() == 2);
  CHECK(image.diff_ids[0] == base.diff_ids[0]);
  CHECK(image.config["config"]["Cmd"] == json({"cat", "/etc/motd"}));
  CHECK(image.config["author"] == "me");

  // The new layer's tar, as stored (and as save will write it).
  const auto members =
      list_tar(read_whole(dir / "image/blobs/sha256" / image.diff_ids[1].substr(7)));
  std::map<std::string, Listed> by_name;
  for (const auto& m : members) by_name[m.name] = m;
  CHECK(by_name.count("etc/.wh.group"));
  CHECK(by_name["etc/.wh.group"].type == 'f');
  CHECK(by_name.count("home/.wh..wh..opq"));
  CHECK(by_name["etc/motd"].data == "hi\n");
  CHECK(by_name["link"].type == 'l');
  CHECK(by_name["link"].link == "/bin/busybox");
  CHECK_FALSE(by_name.count("etc/group"));

  // Unpacked again as an overlay layer: the whiteout and the opaque dir come back.
  const auto dirs = store.layer_dirs(image);
  REQUIRE(dirs.size() == 2);
  struct stat st {};
  REQUIRE(::lstat((dirs[0] / "etc/group").c_str(), &st) == 0);
  CHECK((S_ISCHR(st.st_mode) && st.st_rdev == 0));
  char value[4] = {};
  CHECK(::getxattr((dirs[0] / "home").c_str(), "trusted.overlay.opaque", value, sizeof value) == 1);

  const fs::path merged = dir / "merged", work = dir / "work", up2 = dir / "up2";
  for (const auto& d : {merged, work, up2}) fs::create_directories(d);
  mount_overlay(dirs, up2, work, merged);
  CHECK_FALSE(fs::exists(merged / "etc/group"));
  CHECK(read_whole(merged / "etc/motd") == "hi\n");
  CHECK(fs::exists(merged / "etc/passwd"));
  unmount(merged);

  // History: newest first, with the new layer's size and the parent's entry below.
  const auto history = store.history("committed:1");
  REQUIRE(history.size() == 2);
  CHECK(history[0]["Id"] == image.id);
  CHECK(history[0]["Comment"] == "a message");
  CHECK(history[0]["CreatedBy"] == "cat /etc/motd");
  CHECK(history[0]["Size"] == 4);  // "hi\n" + "1"
  CHECK(history[0]["Tags"] == json({"committed:1"}));
  CHECK(history[1]["Id"] == base.id);
  CHECK(history[1]["Tags"] == json({"busybox:latest"}));

  // The parent cannot go while a child needs it.
  CHECK_THROWS_WITH(store.remove(base.id, true, true, [](const std::string&) { return false; }),
                    Catch::Contains("image has dependent child images"));

  // An empty diff adds no layer, only history.
  fs::create_directories(dir / "empty");
  const Image same = store.commit(dir / "empty", image, config, "", "", "");
  CHECK(same.diff_ids == image.diff_ids);
  CHECK(same.config["history"].back()["empty_layer"] == true);
}

TEST_CASE("directory tars for export and cp", "[images]") {
  REQUIRE(::geteuid() == 0);
  ScratchDir dir;
  const fs::path root = dir / "root";
  fs::create_directories(root / "etc");
  { std::ofstream(root / "etc/hosts") << "127.0.0.1 localhost\n"; }
  fs::create_hard_link(root / "etc/hosts", root / "etc/hosts2");
  fs::create_symlink("/nonexistent", root / "dangling");

  std::string exported;
  write_directory_tar(root, [&](std::string_view d) { exported.append(d); });
  std::vector<std::string> names;
  for (const auto& m : list_tar(exported)) names.push_back(m.name);
  CHECK(names == std::vector<std::string>{"dangling", "etc/", "etc/hosts", "etc/hosts2"});
  CHECK(list_tar(exported)[3].type == 'h');

  std::string etc;
  write_directory_tar(
      root / "etc", [&](std::string_view d) { etc.append(d); }, "etc");
  names.clear();
  for (const auto& m : list_tar(etc)) names.push_back(m.name);
  CHECK(names == std::vector<std::string>{"etc/", "etc/hosts", "etc/hosts2"});

  std::string one;
  write_directory_tar(root / "etc/hosts", [&](std::string_view d) { one.append(d); });
  REQUIRE(list_tar(one).size() == 1);
  CHECK(list_tar(one)[0].name == "hosts");
  CHECK(list_tar(one)[0].data == "127.0.0.1 localhost\n");

  // And back in: the same tree.
  const fs::path copy = dir / "copy";
  fs::create_directories(copy);
  extract_tar_into(string_reader(exported), copy, false);
  CHECK(read_whole(copy / "etc/hosts2") == "127.0.0.1 localhost\n");
  CHECK(fs::equivalent(copy / "etc/hosts", copy / "etc/hosts2"));
  CHECK(fs::read_symlink(copy / "dangling") == "/nonexistent");
}
