#pragma once
// libarchive behind RAII: a tar reader fed from a ReadFn or a file (any compression libarchive
// knows), and a tar writer that hands its bytes to a WriteFn or a file. Exceptions thrown by the
// callbacks are carried across libarchive's C frames and rethrown to the caller unchanged.
#include <archive.h>
#include <archive_entry.h>

#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "engine/images/image_store.hpp"

namespace berth::engine {

class TarReader {
 public:
  // `what` names the stream in errors ("the image archive", "layer sha256:…").
  TarReader(ReadFn read, std::string what);
  TarReader(const std::filesystem::path& file, std::string what);
  // A single stream that is not a tar: decompressed (gzip, zstd, ...) or passed through.
  static std::unique_ptr<TarReader> raw(ReadFn read, std::string what);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next header, or nullptr at the end. Throws InvalidArgument for a malformed archive.
  archive_entry* next();
  // Up to `size` bytes of the current entry's data; 0 at its end.
  size_t read(char* data, size_t size);
  // Data blocks with their offsets, so sparse files keep their holes.
  bool read_block(const void** data, size_t* size, int64_t* offset);
  archive* handle() { return archive_; }
  const std::string& what() const { return what_; }
  // Rethrows an exception a callback stored, else throws InvalidArgument with libarchive's text.
  [[noreturn]] void fail(std::string_view action);

 private:
  TarReader(std::string what, bool raw);
  void open();
  static la_ssize_t read_callback(archive*, void* self, const void** buffer);

  archive* archive_ = nullptr;
  ReadFn read_;
  UniqueFd fd_;
  std::vector<char> buffer_;
  std::exception_ptr error_;
  std::string what_;
};

class TarWriter {
 public:
  explicit TarWriter(WriteFn write);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void write_header(archive_entry* entry);
  void write_data(std::string_view data);
  // A regular file entry with in-memory contents.
  void add_file(const std::string& name, std::string_view contents, mode_t mode = 0644,
                time_t mtime = 0);
  void add_directory(const std::string& name, time_t mtime = 0);
  // Writes the end-of-archive blocks; the destructor does not (an aborted archive stays short).
  void finish();

 private:
  static la_ssize_t write_callback(archive*, void* self, const void* buffer, size_t length);
  void check(int rc, std::string_view action);

  archive* archive_ = nullptr;
  WriteFn write_;
  std::exception_ptr error_;
  bool finished_ = false;
};

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

// Tar member names as berth accepts them: "./a//b/" -> "a/b". Empty for the root ("./").
// Throws InvalidArgument naming the entry for absolute paths and ".." components.
std::string clean_member_name(std::string_view name, std::string_view what);

// True when the first bytes of a file are a compression magic number (gzip, zstd, bzip2, xz).
bool looks_compressed(const std::filesystem::path& file);

}  // namespace berth::engine
