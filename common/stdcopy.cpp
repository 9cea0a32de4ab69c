#include "common/stdcopy.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace berth {

std::string encode_frame(StreamType stream, std::string_view payload, std::size_t max_payload) {
  if (max_payload == 0 || max_payload > 0xFFFFFFFFu) {
    throw InvalidArgument("encode_frame: max payload must be between 1 and 2^32-1 bytes");
  }
  std::string out;
  std::size_t frames = (payload.size() + max_payload - 1) / max_payload;
  out.reserve(payload.size() + frames * kFrameHeaderSize);
  while (!payload.empty()) {
    auto length = static_cast<std::uint32_t>(std::min(payload.size(), max_payload));
    char header[kFrameHeaderSize] = {static_cast<char>(stream),
                                     0,
                                     0,
                                     0,
                                     static_cast<char>(length >> 24),
                                     static_cast<char>(length >> 16),
                                     static_cast<char>(length >> 8),
                                     static_cast<char>(length)};
    out.append(header, sizeof header);
    out.append(payload.substr(0, length));
    payload.remove_prefix(length);
  }
  return out;
}

FrameDecoder::FrameDecoder(Callback callback, std::size_t max_frame)
    : callback_(std::move(callback)), max_frame_(max_frame) {}

std::size_t FrameDecoder::frame_size(std::string_view header) const {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(header[i]); };
  if (byte(0) > static_cast<std::uint8_t>(StreamType::Systemerr)) {
    throw InvalidArgument("malformed stream frame: unknown stream type " + std::to_string(byte(0)));
  }
  if (byte(1) != 0 || byte(2) != 0 || byte(3) != 0) {
    throw InvalidArgument("malformed stream frame: non-zero header padding");
  }
  std::uint32_t length = (std::uint32_t{byte(4)} << 24) | (std::uint32_t{byte(5)} << 16) |
                         (std::uint32_t{byte(6)} << 8) | std::uint32_t{byte(7)};
  if (length > max_frame_) {
    throw InvalidArgument("malformed stream frame: length " + std::to_string(length) +
                          " exceeds the limit of " + std::to_string(max_frame_));
  }
  return kFrameHeaderSize + length;
}

void FrameDecoder::feed(std::string_view chunk) {
  // Complete a frame carried over from earlier chunks, taking only the bytes it still needs.
  if (!buffer_.empty()) {
    if (buffer_.size() < kFrameHeaderSize) {
      std::size_t take = std::min(kFrameHeaderSize - buffer_.size(), chunk.size());
      buffer_.append(chunk.substr(0, take));
      chunk.remove_prefix(take);
      if (buffer_.size() < kFrameHeaderSize) return;
    }
    std::size_t size = frame_size(buffer_);
    std::size_t take = std::min(size - buffer_.size(), chunk.size());
    buffer_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (buffer_.size() < size) return;
    std::string frame = std::move(buffer_);
    buffer_.clear();
    if (size > kFrameHeaderSize) {
      callback_(static_cast<StreamType>(frame[0]),
                std::string_view(frame).substr(kFrameHeaderSize));
    }
  }
  // Whole frames inside this chunk are delivered straight from it without copying.
  while (chunk.size() >= kFrameHeaderSize) {
    std::size_t size = frame_size(chunk);
    if (chunk.size() < size) break;
    if (size > kFrameHeaderSize) {
      callback_(static_cast<StreamType>(chunk[0]),
                chunk.substr(kFrameHeaderSize, size - kFrameHeaderSize));
    }
    chunk.remove_prefix(size);
  }
  buffer_.assign(chunk);
}

}  // namespace berth
