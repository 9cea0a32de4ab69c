#pragma once
// The cloud-init NoCloud seed that tells a new machine its name and who may log in: an ISO9660
// volume labelled "cidata" holding meta-data and user-data, the format cloud-init itself reads, so
// the image could be swapped for any cloud image.
#include <map>
#include <string>
#include <string_view>

namespace berth::drivers::libvirt {

struct SeedFiles {
  std::string meta_data;  // instance-id, local-hostname
  std::string user_data;  // #cloud-config: hostname, ssh_authorized_keys, write_files
};

// Checks that `key` is one OpenSSH public key line ("TYPE BASE64 [COMMENT]") and returns it without
// surrounding whitespace, and without a comment that would not survive as a plain YAML scalar.
// Throws InvalidArgument naming what is wrong.
std::string normalize_ssh_public_key(const std::string& key);

// `instance_id` changes whenever the seed describes a new machine: cloud-init re-runs first-boot
// steps when it changes. `etc_berth_files` (path relative to /etc/berth -> contents) become
// cloud-init write_files entries (base64, mode 0600), which, like cloud-init, the image applies
// once per instance, before the engine first starts.
SeedFiles nocloud_seed(const std::string& hostname, const std::string& ssh_public_key,
                       const std::string& instance_id,
                       const std::map<std::string, std::string>& etc_berth_files = {});

// Standard base64 with padding, as cloud-init's `encoding: b64` expects.
std::string base64_encode(std::string_view data);

// The ISO image bytes, written with libarchive's ISO9660 writer (Rock Ridge names, so the files
// keep their lower-case names with a dash). Throws Error with libarchive's message.
std::string build_seed_iso(const SeedFiles& files);

}  // namespace berth::drivers::libvirt
