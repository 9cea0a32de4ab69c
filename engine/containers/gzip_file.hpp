#pragma once
// Rotated json-file logs with compress=true: dockerd's gzip files, and reading them back.
#include <cstdint>
#include <optional>
#include <string>

#include "common/unique_fd.hpp"

namespace berth::engine {

// Writes `from` gzipped to `to` (through a temporary name, so `to` appears whole or not at all)
// and removes `from`. `header_extra` goes into the gzip header's extra field, where dockerd
// records the file's last entry time ({"lastTime":"…"}).
void gzip_file(const std::string& from, const std::string& to, const std::string& header_extra);

// The last entry time a gzipped log's header records ({"lastTime":"…"} in its extra field), in
// nanoseconds since the epoch; none when the file has no such header. Lets a reader skip a file
// whose entries it has all seen without decompressing it, as dockerd's does.
std::optional<int64_t> gzip_last_time(const std::string& path);

// The uncompressed content of a gzip file, in an unnamed temporary file beside it (a rotated log
// is at most max-size long uncompressed, too big to hold in memory for every reader), positioned
// at its start.
UniqueFd gunzip_to_temp_file(const std::string& path);

}  // namespace berth::engine
