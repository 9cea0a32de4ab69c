#include "cli/client/build_context.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/error.hpp"

namespace berth::cli::client {

namespace {

constexpr std::size_t kBlock = 512;

std::vector<std::string> sorted_children(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw_errno("open " + dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

void walk(const std::string& root, const std::string& relative, const DockerignoreMatcher& ignore,
          std::vector<ContextEntry>& out) {
  const std::string dir = relative.empty() ? root : root + "/" + relative;
  for (const auto& name : sorted_children(dir)) {
    const std::string rel = relative.empty() ? name : relative + "/" + name;
    const std::string path = root + "/" + rel;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw_errno("lstat " + path);
    const bool is_dir = S_ISDIR(st.st_mode);
    if (ignore.excludes(rel)) {
      // An excluded directory is still entered when an exception may bring back something
      // below it (docker's TarWithOptions does the same); the directory itself stays out.
      if (is_dir && ignore.may_reinclude_below(rel)) walk(root, rel, ignore, out);
      continue;
    }
    ContextEntry e;
    e.source = path;
    e.mode = st.st_mode & 07777;
    e.mtime = st.st_mtim.tv_sec;
    if (is_dir) {
      e.type = '5';
      e.name = rel + "/";
    } else if (S_ISLNK(st.st_mode)) {
      e.type = '2';
      e.name = rel;
      std::string target(static_cast<std::size_t>(st.st_size) + 256, '\0');
      const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) throw_errno("readlink " + path);
      target.resize(static_cast<std::size_t>(n));
      e.link_target = target;
    } else if (S_ISREG(st.st_mode)) {
      if (::access(path.c_str(), R_OK) != 0) {
        throw Error("error checking context: can't stat '" + path + "'");
      }
      e.type = '0';
      e.name = rel;
      e.size = static_cast<std::uint64_t>(st.st_size);
    } else {
      continue;  // sockets, fifos and devices mean nothing to a build
    }
    out.push_back(e);
    if (is_dir) walk(root, rel, ignore, out);
  }
}

void put_octal(char* field, std::size_t width, std::uint64_t value) {
  // width-1 octal digits, zero-padded, then NUL (Go's archive/tar formats USTAR fields so).
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value > 0; value >>= 3) {
    digits[i] = static_cast<char>('0' + (value & 7));
  }
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

std::string pax_record(const std::string& key, const std::string& value) {
  // "%d key=value\n" where %d counts the whole record, itself included.
  const std::size_t body = key.size() + value.size() + 3;
  std::size_t length = body + std::to_string(body).size();
  if (std::to_string(length).size() != std::to_string(body).size()) ++length;
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

std::string ustar_block(const std::string& name, char type, std::uint32_t mode, std::uint64_t size,
                        std::int64_t mtime, const std::string& link) {
  std::string block(kBlock, '\0');
  std::memcpy(block.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  put_octal(&block[100], 8, mode);
  put_octal(&block[108], 8, 0);  // uid: docker's build context is owned by 0:0
  put_octal(&block[116], 8, 0);  // gid
  put_octal(&block[124], 12, size);
  put_octal(&block[136], 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  block[156] = type;
  std::memcpy(&block[157], link.data(), std::min<std::size_t>(link.size(), 100));
  std::memcpy(&block[257],
              "ustar\0"
              "00",
              8);
  put_octal(&block[329], 8, 0);  // devmajor
  put_octal(&block[337], 8, 0);  // devminor
  std::memset(&block[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  put_octal(&block[148], 7, sum);
  block[155] = ' ';
  return block;
}

}  // namespace

std::vector<ContextEntry> collect_context(const std::string& context_dir,
                                          const DockerignoreMatcher& ignore) {
  std::vector<ContextEntry> entries;
  walk(context_dir, "", ignore, entries);
  return entries;
}

std::vector<std::string> keep_build_files(std::vector<std::string> patterns,
                                          const std::string& dockerfile_in_context) {
  const DockerignoreMatcher matcher(patterns);
  if (matcher.excludes(".dockerignore")) patterns.push_back("!.dockerignore");
  if (!dockerfile_in_context.empty() && matcher.excludes(dockerfile_in_context)) {
    patterns.push_back("!" + clean_path(dockerfile_in_context));
  }
  return patterns;
}

std::string tar_header(const ContextEntry& e) {
  std::string pax;
  std::string name = e.name;
  std::string link = e.link_target;
  if (name.size() > 100) pax += pax_record("path", name);
  if (link.size() > 100) pax += pax_record("linkpath", link);
  const std::uint64_t size = e.type == '0' ? e.size : 0;
  if (size > 077777777777ULL) pax += pax_record("size", std::to_string(size));
  std::string out;
  if (!pax.empty()) {
    out = ustar_block("PaxHeaders/" + name.substr(0, 80), 'x', 0644, pax.size(), e.mtime, "");
    out += pax;
    out.append((kBlock - pax.size() % kBlock) % kBlock, '\0');
  }
  return out + ustar_block(name, e.type, e.mode, size > 077777777777ULL ? 0 : size, e.mtime, link);
}

ContextTar::ContextTar(std::vector<ContextEntry> entries) : entries_(std::move(entries)) {}

ContextTar::~ContextTar() {
  if (fd_ >= 0) ::close(fd_);
}

void ContextTar::next_entry() {
  if (index_ == entries_.size()) {
    pending_.append(2 * kBlock, '\0');
    finished_ = true;
    return;
  }
  ContextEntry& e = entries_[index_++];
  if (e.in_memory) e.size = e.content.size();
  pending_ += tar_header(e);
  if (e.type != '0') return;
  if (e.in_memory) {
    pending_ += e.content;
    pending_.append((kBlock - e.size % kBlock) % kBlock, '\0');
    return;
  }
  fd_ = ::open(e.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd_ < 0) throw_errno("open " + e.source);
  remaining_ = e.size;
  padding_ = (kBlock - e.size % kBlock) % kBlock;
}

std::size_t ContextTar::read(char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    if (!pending_.empty()) {
      const std::size_t n = std::min(size - done, pending_.size());
      std::memcpy(data + done, pending_.data(), n);
      pending_.erase(0, n);
      done += n;
      continue;
    }
    if (fd_ >= 0) {
      if (remaining_ == 0) {
        ::close(fd_);
        fd_ = -1;
        pending_.append(padding_, '\0');
        continue;
      }
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(size - done, remaining_));
      const ssize_t n = ::read(fd_, data + done, want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + entries_[index_ - 1].source);
      if (n == 0) {
        // The file shrank while being sent: the header promised more, so fail loudly.
        throw Error("file changed while sending the build context: " + entries_[index_ - 1].source);
      }
      remaining_ -= static_cast<std::uint64_t>(n);
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (finished_) break;
    next_entry();
  }
  return done;
}

}  // namespace berth::cli::client
