#include "engine/images/archive_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "common/error.hpp"

namespace berth::engine {

namespace {
constexpr size_t kBufferSize = 256 * 1024;

ReadFn fd_reader(int fd, std::string path) {
  return [fd, path = std::move(path)](char* data, size_t size) -> size_t {
    while (true) {
      const ssize_t n = ::read(fd, data, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw_errno("read " + path);
    }
  };
}
}  // namespace

TarReader::TarReader(std::string what, bool raw)
    : archive_(archive_read_new()), buffer_(kBufferSize), what_(std::move(what)) {
  if (!archive_) throw Error("out of memory creating an archive reader");
  archive_read_support_filter_all(archive_);
  if (raw) {
    archive_read_support_format_raw(archive_);
  } else {
    archive_read_support_format_tar(archive_);
  }
}

TarReader::TarReader(ReadFn read, std::string what) : TarReader(std::move(what), false) {
  read_ = std::move(read);
  open();
}

TarReader::TarReader(const std::filesystem::path& file, std::string what)
    : TarReader(std::move(what), false) {
  fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) throw_errno("open " + file.string());
  read_ = fd_reader(fd_.get(), file.string());
  open();
}

std::unique_ptr<TarReader> TarReader::raw(ReadFn read, std::string what) {
  std::unique_ptr<TarReader> reader(new TarReader(std::move(what), true));
  reader->read_ = std::move(read);
  reader->open();
  return reader;
}

TarReader::~TarReader() {
  archive_read_free(archive_);
}

void TarReader::open() {
  if (archive_read_open(archive_, this, nullptr, &TarReader::read_callback, nullptr) != ARCHIVE_OK)
    fail("opening");
}

la_ssize_t TarReader::read_callback(archive* a, void* p, const void** buffer) {
  auto* self = static_cast<TarReader*>(p);
  try {
    const size_t n = self->read_(self->buffer_.data(), self->buffer_.size());
    *buffer = self->buffer_.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    // C++ exceptions must not unwind through libarchive's C frames: keep it for fail().
    self->error_ = std::current_exception();
    archive_set_error(a, EIO, "reading the stream failed");
    return -1;
  }
}

void TarReader::fail(std::string_view action) {
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  const char* detail = archive_error_string(archive_);
  throw InvalidArgument(what_ + ": " + std::string(action) + ": " +
                        (detail ? detail : "malformed archive"));
}

archive_entry* TarReader::next() {
  archive_entry* entry = nullptr;
  const int rc = archive_read_next_header(archive_, &entry);
  if (rc == ARCHIVE_EOF) return nullptr;
  if (rc < ARCHIVE_WARN) fail("reading the next entry");
  return entry;
}

size_t TarReader::read(char* data, size_t size) {
  const la_ssize_t n = archive_read_data(archive_, data, size);
  if (n < 0) fail("reading entry data");
  return static_cast<size_t>(n);
}

bool TarReader::read_block(const void** data, size_t* size, int64_t* offset) {
  la_int64_t off = 0;
  const int rc = archive_read_data_block(archive_, data, size, &off);
  if (rc == ARCHIVE_EOF) return false;
  if (rc < ARCHIVE_WARN) fail("reading entry data");
  *offset = off;
  return true;
}

TarWriter::TarWriter(WriteFn write) : archive_(archive_write_new()), write_(std::move(write)) {
  if (!archive_) throw Error("out of memory creating an archive writer");
  archive_write_set_format_pax_restricted(archive_);
  archive_write_add_filter_none(archive_);
  // Go's archive/tar (docker) pads only to 512 bytes: an empty layer is then exactly the 1024 zero
  // bytes whose digest docker knows as the empty layer.
  archive_write_set_bytes_per_block(archive_, 512);
  archive_write_set_bytes_in_last_block(archive_, 1);
  check(archive_write_open(archive_, this, nullptr, &TarWriter::write_callback, nullptr),
        "opening");
}

TarWriter::~TarWriter() {
  // Closing writes the end-of-archive blocks; an archive abandoned by an exception must not look
  // complete, so anything written from here on is dropped.
  write_ = nullptr;
  archive_write_free(archive_);
}

la_ssize_t TarWriter::write_callback(archive* a, void* p, const void* buffer, size_t length) {
  auto* self = static_cast<TarWriter*>(p);
  if (!self->write_) return static_cast<la_ssize_t>(length);
  try {
    self->write_(std::string_view(static_cast<const char*>(buffer), length));
    return static_cast<la_ssize_t>(length);
  } catch (...) {
    self->error_ = std::current_exception();
    archive_set_error(a, EIO, "writing the stream failed");
    return -1;
  }
}

void TarWriter::check(int rc, std::string_view action) {
  if (rc >= ARCHIVE_WARN) return;
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  const char* detail = archive_error_string(archive_);
  throw Error("writing a tar archive: " + std::string(action) + ": " +
              (detail ? detail : "unknown error"));
}

void TarWriter::write_header(archive_entry* entry) {
  check(archive_write_header(archive_, entry), "writing a header");
}

void TarWriter::write_data(std::string_view data) {
  while (!data.empty()) {
    const la_ssize_t n = archive_write_data(archive_, data.data(), data.size());
    if (n <= 0) check(ARCHIVE_FATAL, "writing entry data");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void TarWriter::add_file(const std::string& name, std::string_view contents, mode_t mode,
                         time_t mtime) {
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), mode);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(contents.size()));
  archive_entry_set_mtime(entry.get(), mtime, 0);
  write_header(entry.get());
  write_data(contents);
}

void TarWriter::add_directory(const std::string& name, time_t mtime) {
  EntryPtr entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFDIR);
  archive_entry_set_perm(entry.get(), 0755);
  archive_entry_set_mtime(entry.get(), mtime, 0);
  write_header(entry.get());
}

void TarWriter::finish() {
  if (finished_) return;
  check(archive_write_close(archive_), "closing");
  finished_ = true;
}

std::string clean_member_name(std::string_view name, std::string_view what) {
  if (name.starts_with('/'))
    throw InvalidArgument("refusing to extract \"" + std::string(name) + "\" from " +
                          std::string(what) + ": absolute paths are not allowed");
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    const std::string_view part = name.substr(start, slash - start);
    if (part == "..")
      throw InvalidArgument("refusing to extract \"" + std::string(name) + "\" from " +
                            std::string(what) + ": \"..\" path components are not allowed");
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    start = slash + 1;
  }
  return out;
}

bool looks_compressed(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + file.string());
  unsigned char magic[6] = {};
  ssize_t n;
  do {
    n = ::read(fd.get(), magic, sizeof magic);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("read " + file.string());
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return true;            // gzip
  if (n >= 4 && std::memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0) return true;  // zstd
  if (n >= 3 && std::memcmp(magic, "BZh", 3) == 0) return true;               // bzip2
  if (n >= 6 && std::memcmp(magic,
                            "\xfd"
                            "7zXZ\x00",
                            6) == 0)
    return true;  // xz
  return false;
}

}  // namespace berth::engine
