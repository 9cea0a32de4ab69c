#include "drivers/libvirt/seed_iso.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <memory>
#include <sstream>

#include "common/error.hpp"

namespace berth::drivers::libvirt {

namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

bool is_base64(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

[[noreturn]] void fail(archive* a, const std::string& what) {
  const char* detail = archive_error_string(a);
  throw Error("cannot write the cloud-init seed ISO: " + what + ": " +
              (detail ? detail : "unknown libarchive error"));
}

void add_file(archive* a, const std::string& name, const std::string& contents) {
  EntryPtr entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(contents.size()));
  // A fixed time keeps the image identical for identical contents.
  archive_entry_set_mtime(entry.get(), 0, 0);
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) fail(a, "header of " + name);
  if (archive_write_data(a, contents.data(), contents.size()) !=
      static_cast<la_ssize_t>(contents.size())) {
    fail(a, "data of " + name);
  }
}

}  // namespace

std::string normalize_ssh_public_key(const std::string& key) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid SSH public key: " + why +
                           " — give one line of an OpenSSH .pub file, e.g. \"ssh-ed25519 AAAA... "
                           "user@host\"");
  };
  auto first = key.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw bad("it is empty");
  auto last = key.find_last_not_of(" \t\r\n");
  std::string line = key.substr(first, last - first + 1);
  if (line.find_first_of("\r\n") != std::string::npos) throw bad("it has more than one line");
  std::istringstream in(line);
  std::string type, blob, comment;
  in >> type >> blob;
  std::getline(in, comment);
  bool known_type =
      type.rfind("ssh-", 0) == 0 || type.rfind("ecdsa-", 0) == 0 || type.rfind("sk-", 0) == 0;
  if (!known_type) throw bad("\"" + type + "\" is not an SSH key type");
  if (!is_base64(blob)) throw bad("the key data after the type is not base64");
  std::string out = type + " " + blob;
  auto c = comment.find_first_not_of(" \t");
  if (c != std::string::npos) {
    comment = comment.substr(c);
    // Kept only when it cannot change the meaning of the YAML line it lands on.
    bool plain = comment.find(" #") == std::string::npos &&
                 comment.find(": ") == std::string::npos &&
                 comment.find_first_of("\"'`\\") == std::string::npos;
    if (plain) out += " " + comment;
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16 |
                      static_cast<unsigned char>(data[i + 1]) << 8 |
                      static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += i + 1 < data.size() ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

SeedFiles nocloud_seed(const std::string& hostname, const std::string& ssh_public_key,
                       const std::string& instance_id,
                       const std::map<std::string, std::string>& etc_berth_files) {
  SeedFiles files;
  files.meta_data = "instance-id: " + instance_id + "\nlocal-hostname: " + hostname + "\n";
  files.user_data = "#cloud-config\nhostname: " + hostname + "\nssh_authorized_keys:\n  - " +
                    normalize_ssh_public_key(ssh_public_key) + "\n";
  if (!etc_berth_files.empty()) {
    // One line per key and the content as one base64 scalar: valid YAML for cloud-init, and the
    // only shape the image's first boot has to parse. Paths were checked by
    // validate_engine_file_path, so they need no quoting.
    files.user_data += "write_files:\n";
    for (const auto& [path, contents] : etc_berth_files) {
      files.user_data +=
          "  - path: /etc/berth/" + path +
          "\n    permissions: '0600'\n    encoding: b64\n    content: " + base64_encode(contents) +
          "\n";
    }
  }
  return files;
}

std::string build_seed_iso(const SeedFiles& files) {
  ArchivePtr a(archive_write_new(), archive_write_free);
  if (!a) throw Error("cannot write the cloud-init seed ISO: out of memory");
  if (archive_write_set_format_iso9660(a.get()) != ARCHIVE_OK) fail(a.get(), "ISO9660 format");
  // cloud-init (and berth's init) find the seed by this label.
  if (archive_write_set_option(a.get(), "iso9660", "volume-id", "cidata") != ARCHIVE_OK) {
    fail(a.get(), "volume-id option");
  }
  std::string image;
  if (archive_write_open(a.get(), &image, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    fail(a.get(), "open");
  }
  add_file(a.get(), "meta-data", files.meta_data);
  add_file(a.get(), "user-data", files.user_data);
  if (archive_write_close(a.get()) != ARCHIVE_OK) fail(a.get(), "close");
  return image;
}

}  // namespace berth::drivers::libvirt
