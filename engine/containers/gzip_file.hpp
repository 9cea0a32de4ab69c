#pragma once
// Rotated json-file logs with compress=true: dockerd's gzip files, and reading them back.
#include <string>

#include "common/unique_fd.hpp"

namespace berth::engine {

// Writes `from` gzipped to `to` (through a temporary name, so `to` appears whole or not at all)
// and removes `from`. `header_extra` goes into the gzip header's extra field, where dockerd
// records the file's last entry time ({"lastTime":"…"}).
void gzip_file(const std::string& from, const std::string& to, const std::string& header_extra);

// The uncompressed content of a gzip file, in an unnamed temporary file beside it (a rotated log
// is at most max-size long uncompressed, too big to hold in memory for every reader), positioned
// at its start.
UniqueFd gunzip_to_temp_file(const std::string& path);

}  // namespace berth::engine
