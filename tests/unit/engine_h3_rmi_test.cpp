// `docker rmi` of an image containers use (engine/images/image_remove.cpp): dockerd's conflicts for
// running and stopped containers, and nothing lost when it refuses.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "common/error.hpp"
#include "engine/images/image_store.hpp"

using namespace berth;
using namespace berth::engine;

namespace {

const std::string kRunner = std::string(64, '1');
const std::string kStopped = std::string(64, '2');

// A store holding one image ("box:latest", one empty layer) in a temp dir.
struct StoreWithImage {
  std::string dir;
  std::unique_ptr<ImageStore> store;
  std::string id;

  StoreWithImage() {
    char pattern[] = "/tmp/berth-h3-rmi-XXXXXX";
    REQUIRE(mkdtemp(pattern));
    dir = pattern;
    store = std::make_unique<ImageStore>(dir + "/image");
    std::string tar(1024, '\0');  // an empty tar archive
    size_t offset = 0;
    const ReadFn read = [&](char* data, size_t size) {
      const size_t n = std::min(size, tar.size() - offset);
      std::memcpy(data, tar.data() + offset, n);
      offset += n;
      return n;
    };
    id = store->import(read, {{"Cmd", {"sh"}}}, "box:latest", "").id;
  }
  ~StoreWithImage() { std::filesystem::remove_all(dir); }

  std::string short_id() const { return id.substr(7, 12); }

  std::string refusal(const std::string& ref, bool force, const std::vector<ImageUser>& users) {
    try {
      store->remove_used_by(ref, force, true, [&](const std::string& image) {
        return image == id ? users : std::vector<ImageUser>{};
      });
    } catch (const Conflict& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace

TEST_CASE("h3 rmi: an image a running container uses cannot be deleted, even forced", "[rmi]") {
  StoreWithImage s;
  const std::vector<ImageUser> running = {{kRunner, true}};
  const std::string expected = "conflict: unable to delete " + s.short_id() +
                               " (cannot be forced) - image is being used by running container " +
                               kRunner.substr(0, 12);
  CHECK(s.refusal(s.id, true, running) == expected);
  CHECK(s.refusal(s.short_id(), true, running) == expected);
  CHECK(s.refusal(s.id, false, running) == expected);
  // Nothing lost: still listed, still tagged.
  REQUIRE(s.store->list().size() == 1);
  CHECK(s.store->get("box:latest").id == s.id);
}

TEST_CASE("h3 rmi: a stopped container's image must be forced", "[rmi]") {
  StoreWithImage s;
  const std::vector<ImageUser> stopped = {{kStopped, false}};
  CHECK(s.refusal(s.id, false, stopped) ==
        "conflict: unable to delete " + s.short_id() +
            " (must be forced) - image is being used by stopped container " +
            kStopped.substr(0, 12));
  CHECK(s.store->get("box:latest").id == s.id);
  // By name: docker's repository-reference conflict names the container.
  CHECK(s.refusal("box", false, stopped) ==
        "conflict: unable to remove repository reference \"box\" (must force) - container " +
            kStopped.substr(0, 12) + " is using its referenced image " + s.short_id());
  CHECK(s.refusal(s.id, true, stopped).empty());
  CHECK(s.store->list().empty());
}

TEST_CASE("h3 rmi: forced by name while running only untags, as dockerd", "[rmi]") {
  StoreWithImage s;
  const std::vector<ImageUser> users = {{kStopped, false}, {kRunner, true}};
  std::vector<nlohmann::json> items;
  REQUIRE_NOTHROW(items = s.store->remove_used_by("box", true, true, [&](const std::string& image) {
    return image == s.id ? users : std::vector<ImageUser>{};
  }));
  REQUIRE(items.size() == 1);
  CHECK(items[0] == nlohmann::json{{"Untagged", "box:latest"}});
  // The image stays, dangling.
  REQUIRE(s.store->list().size() == 1);
  CHECK(s.store->list()[0].id == s.id);
}
