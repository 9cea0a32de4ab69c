// `docker rmi` and `docker image prune`, following moby's daemon/images/image_delete.go: which
// references go, when an image may be deleted, the conflict messages, and parent pruning.
//
// An image a stopped container uses and that force removes behaves as in docker (gone from lists
// and names, "Deleted" in the answer), but its record and layers stay, found only by full ID, until
// no container uses it: its layers are that container's overlay lower dirs. An image a running
// container uses is a hard conflict, as in docker: force does not delete it.
#include <filesystem>
#include <optional>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/reference.hpp"
#include "engine/images/store_state.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

// Who uses one image: the first running container, the first stopped one, and the first whose
// state the caller could not tell (docker names the first container it finds of each kind).
struct ImageUsers {
  std::optional<std::string> running;
  std::optional<std::string> stopped;
  std::optional<std::string> unknown;

  // Any container, preferring the running one (the "remove repository reference" conflict).
  const std::string& any() const { return running ? *running : stopped ? *stopped : *unknown; }
};
using Users = std::map<std::string, ImageUsers>;  // image ID -> its users (only used images)

struct DeleteConflict {
  bool hard = false;
  bool used = false;
  std::string message;
};

class Remover {
 public:
  Remover(detail::ImageStoreState& state, const Users& users) : state_(state), users_(users) {}

  // ImageDelete: the caller holds the lock.
  void remove(std::string_view text, bool force, bool prune) {
    const detail::ImageRecord& image = state_.resolve(text);
    if (image.retained) throw NotFound("No such image: " + std::string(text));
    const std::string id = image.id;
    auto refs = state_.references_to(id);
    bool removed_reference = false;
    if (!is_id_prefix(id, text)) {
      if (!force && is_single_reference(refs))
        if (auto user = users_.find(id); user != users_.end())
          throw Conflict("conflict: unable to remove repository reference \"" + std::string(text) +
                         "\" (must force) - " + container(user->second.any()) +
                         " is using its referenced image " + detail::short_id(id));
      const Reference ref = Reference::parse(text);
      untag(ref.string());
      refs = state_.references_to(id);
      // The last tag of a repository takes its digest references along.
      if (ref.digest.empty()) {
        bool tag_left = false;
        for (const auto& r : refs) {
          const Reference other = Reference::parse(r);
          tag_left |= other.digest.empty() && other.name() == ref.name();
        }
        if (!tag_left) {
          for (const auto& r : refs)
            if (const Reference other = Reference::parse(r); other.name() == ref.name()) untag(r);
          refs = state_.references_to(id);
        }
      }
      if (!refs.empty()) return;
      removed_reference = true;
    } else if (is_single_reference(refs)) {
      if (auto conflict = check_conflict(id, force, /*active_references=*/false))
        throw Conflict(message(id, *conflict));
      for (const auto& r : refs) untag(r);
    }
    delete_image(id, force, prune, removed_reference);
  }

  std::vector<nlohmann::json> records;
  int64_t reclaimed = 0;
  std::vector<fs::path> trash;

 private:
  // remove() without container IDs knows only that some container uses the image.
  static std::string container(const std::string& id) {
    return id.empty() ? "a container" : "container " + detail::short_id(id);
  }

  static bool is_id_prefix(const std::string& id, std::string_view text) {
    return id.starts_with(text) || std::string_view(id).substr(7).starts_with(text);
  }

  static bool is_single_reference(const std::vector<std::string>& refs) {
    if (refs.size() <= 1) return refs.size() == 1;
    std::set<std::string> names;
    std::optional<Reference> single;
    for (const auto& r : refs) {
      Reference ref = Reference::parse(r);
      if (!ref.digest.empty()) {
        names.insert(ref.name());
      } else if (!single) {
        names.insert(ref.name());
        single = ref;
      } else {
        return false;
      }
    }
    if (!single) single = Reference::parse(refs.front());
    return names.size() == 1 && names.count(single->name());
  }

  void untag(const std::string& full) {
    if (state_.references.erase(full) == 0) return;
    records.push_back({{"Untagged", Reference::parse(full).familiar_string()}});
    dirty_ = true;
  }

  // moby's checkImageDeleteConflict, in its order: children and a running container are hard
  // conflicts; other references and a stopped container are soft ones that force overrides.
  std::optional<DeleteConflict> check_conflict(const std::string& id, bool force,
                                               bool active_references) {
    if (state_.has_children(id))
      return DeleteConflict{true, false, "image has dependent child images"};
    const auto user = users_.find(id);
    if (user != users_.end() && user->second.running)
      return DeleteConflict{true, true,
                            "image is being used by running " + container(*user->second.running)};
    if (force) return std::nullopt;
    if (active_references && !state_.references_to(id).empty())
      return DeleteConflict{false, false, "image is referenced in multiple repositories"};
    if (user == users_.end()) return std::nullopt;
    if (user->second.stopped)
      return DeleteConflict{false, true,
                            "image is being used by stopped " + container(*user->second.stopped)};
    return DeleteConflict{false, true,
                          "image is being used by " + container(*user->second.unknown)};
  }

  static std::string message(const std::string& id, const DeleteConflict& conflict) {
    return "conflict: unable to delete " + detail::short_id(id) + " (" +
           (conflict.hard ? "cannot be forced" : "must be forced") + ") - " + conflict.message;
  }

  // imageDeleteHelper.
  void delete_image(const std::string& id, bool force, bool prune, bool quiet) {
    if (auto conflict = check_conflict(id, force, /*active_references=*/true)) {
      const bool dangling = state_.references_to(id).empty();
      if (quiet && (!dangling || conflict->used)) return;
      throw Conflict(message(id, *conflict));
    }
    auto& record = state_.images.at(id);
    const std::string parent = record.parent;
    for (const auto& r : state_.references_to(id)) untag(r);
    records.push_back({{"Deleted", id}});
    if (users_.count(id)) {  // forced while a container uses it: retained (see the file comment)
      record.retained = true;
      state_.save_meta(record);
      return;
    }
    for (const auto& [chain, size] : state_.delete_image(id, trash)) {
      records.push_back({{"Deleted", chain}});
      reclaimed += size;
    }
    if (!prune || parent.empty() || !state_.images.count(parent)) return;
    delete_image(parent, false, true, true);
  }

 public:
  void save() {
    if (dirty_) state_.save_references();
    dirty_ = false;
  }

  // Retained images no container uses any more go for good (no answer items: docker reported
  // them deleted already).
  void collect_retained() {
    std::vector<std::string> unused;
    for (const auto& [id, record] : state_.images)
      if (record.retained && !users_.count(id) && !state_.has_children(id)) unused.push_back(id);
    for (const auto& id : unused) state_.delete_image(id, trash);
  }

 private:
  detail::ImageStoreState& state_;
  const Users& users_;
  bool dirty_ = false;
};

void empty_trash(const std::vector<fs::path>& trash) {
  for (const auto& path : trash) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) log::warn("cannot remove a deleted layer", {{"path", path.string()}});
  }
}

// Asked before taking the store lock: the callbacks reach into the container store, which may
// itself call into the image store.
Users collect_users(const std::vector<std::string>& ids, const ImageUsersFn& users_of) {
  Users users;
  for (const auto& id : ids) {
    const auto containers = users_of(id);
    if (containers.empty()) continue;
    ImageUsers& image_users = users[id];
    for (const auto& c : containers) {
      auto& slot = !c.running   ? image_users.unknown
                   : *c.running ? image_users.running
                                : image_users.stopped;
      if (!slot) slot = c.container_id;
    }
  }
  return users;
}

// Users whose state the caller cannot tell: only their IDs (or not even those) are known.
ImageUsersFn users_of_unknown_state(
    const std::function<std::vector<std::string>(const std::string&)>& containers_using) {
  return [&containers_using](const std::string& id) {
    std::vector<ImageUser> users;
    for (auto& container_id : containers_using(id)) users.push_back({container_id, std::nullopt});
    return users;
  };
}

ImageUsersFn users_of_flag(const std::function<bool(const std::string&)>& in_use) {
  return [&in_use](const std::string& id) {
    return in_use(id) ? std::vector<ImageUser>{{"", std::nullopt}} : std::vector<ImageUser>{};
  };
}

std::vector<std::string> all_ids(const detail::ImageStoreState& state) {
  std::lock_guard lock(state.mutex);
  std::vector<std::string> ids;
  for (const auto& [id, record] : state.images) ids.push_back(id);
  return ids;
}

}  // namespace

std::vector<nlohmann::json> ImageStore::remove(
    std::string_view ref_or_id, bool force, bool prune_children,
    const std::function<bool(const std::string&)>& in_use) {
  return remove_used_by(ref_or_id, force, prune_children, users_of_flag(in_use));
}

std::vector<nlohmann::json> ImageStore::remove_used_by(
    std::string_view ref_or_id, bool force, bool prune_children,
    const std::function<std::vector<std::string>(const std::string&)>& containers_using) {
  return remove_used_by(ref_or_id, force, prune_children, users_of_unknown_state(containers_using));
}

std::vector<nlohmann::json> ImageStore::remove_used_by(std::string_view ref_or_id, bool force,
                                                       bool prune_children,
                                                       const ImageUsersFn& users_of) {
  // Parents can be pruned too, so every image's users are needed.
  const Users users = collect_users(all_ids(*state_), users_of);
  Remover remover(*state_, users);
  {
    std::lock_guard lock(state_->mutex);
    remover.collect_retained();
    try {
      remover.remove(ref_or_id, force, prune_children);
    } catch (...) {
      remover.save();  // references already removed stay removed, as in docker
      throw;
    }
    remover.save();
  }
  empty_trash(remover.trash);
  return remover.records;
}

void ImageStore::collect_retained(const std::function<bool(const std::string&)>& in_use) {
  std::vector<std::string> retained;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& [id, record] : state_->images)
      if (record.retained) retained.push_back(id);
  }
  if (retained.empty()) return;
  const Users users = collect_users(retained, users_of_flag(in_use));
  Remover remover(*state_, users);
  {
    std::lock_guard lock(state_->mutex);
    remover.collect_retained();
  }
  empty_trash(remover.trash);
}

std::pair<std::vector<nlohmann::json>, int64_t> ImageStore::prune(
    bool all, const std::function<bool(const std::string&)>& in_use) {
  return prune(all, in_use, [](const Image&) { return true; });
}

// ImagesPrune: dangling only looks at images without children; a used image is never a
// candidate; conflicts just skip an image.
std::pair<std::vector<nlohmann::json>, int64_t> ImageStore::prune(
    bool all, const std::function<bool(const std::string&)>& in_use,
    const std::function<bool(const Image&)>& matches) {
  const Users users = collect_users(all_ids(*state_), users_of_flag(in_use));
  Remover remover(*state_, users);
  {
    std::lock_guard lock(state_->mutex);
    remover.collect_retained();
    std::vector<std::string> candidates;
    for (const auto& [id, record] : state_->images)
      if (!record.retained && (all || !state_->has_children(id)) && !users.count(id) &&
          matches(state_->make_image(record)))
        candidates.push_back(id);
    for (const auto& id : candidates) {
      if (!state_->images.count(id)) continue;  // gone with an earlier one's parents
      const auto refs = state_->references_to(id);
      std::vector<std::string> targets;
      if (refs.empty()) {
        targets.push_back(id.substr(7));
      } else {
        bool has_tag = false;
        for (const auto& r : refs) has_tag |= Reference::parse(r).digest.empty();
        if (all || !has_tag) targets = refs;
      }
      for (const auto& target : targets) {
        try {
          remover.remove(target, false, true);
        } catch (const Conflict& e) {
          log::debug("prune skips an image", {{"image", target}, {"reason", e.what()}});
        } catch (const NotFound&) {
        }
      }
    }
    remover.save();
  }
  empty_trash(remover.trash);
  return {remover.records, remover.reclaimed};
}

}  // namespace berth::engine
