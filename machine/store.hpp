#pragma once
// The machine store on disk:
//   ROOT/certs/                 CA and client certificate (cert_store.hpp)
//   ROOT/machines/NAME/         config.json (0600), server and client certificates, id_ed25519,
//                               and whatever the driver keeps there (console log, …)
// ROOT is --storage-path, else $BERTH_STORAGE_PATH, else ~/.berth.
#include <optional>
#include <string>
#include <vector>

#include "machine/cert_store.hpp"
#include "machine/machine_record.hpp"

namespace berth::machine {

inline constexpr const char* kConfigFile = "config.json";
inline constexpr const char* kSshKeyFile = "id_ed25519";

// The store root from the flag, the environment and $HOME, in that order. Throws InvalidArgument
// when none of them gives a path.
std::string resolve_storage_path(const std::optional<std::string>& flag);

// One machine name in the store, or the corrupt config file that stands for it, so that listing
// can show the broken one and still list the rest.
struct LoadResult {
  std::string name;
  std::optional<MachineRecord> record;
  std::string error;  // set when the record could not be read
};

class Store {
 public:
  explicit Store(std::string root);

  const std::string& root() const { return root_; }
  std::string machines_dir() const { return root_ + "/machines"; }
  std::string machine_dir(const std::string& name) const { return machines_dir() + "/" + name; }
  std::string config_path(const std::string& name) const;
  std::string ssh_key_path(const std::string& name) const;
  CertStore certs() const { return CertStore(root_ + "/certs"); }

  bool exists(const std::string& name) const;
  // Machine names, sorted; folders without a config.json are skipped (a create in progress).
  std::vector<std::string> list() const;

  // NotFound ("machine NAME does not exist") or Error naming config.json when it is corrupt.
  MachineRecord load(const std::string& name) const;
  std::vector<LoadResult> load_all() const;

  // Writes config.json atomically with mode 0600 (it names keys and addresses of the user's
  // machines); creates the machine folder when needed.
  void save(const MachineRecord& record) const;

  // Makes the machine folder (0700); Conflict when the machine already exists.
  std::string create_machine_dir(const std::string& name) const;
  // Deletes the machine folder and everything in it; a missing folder is fine.
  void remove_machine_dir(const std::string& name) const;

 private:
  std::string root_;
};

}  // namespace berth::machine
