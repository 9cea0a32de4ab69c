#pragma once
// Docker's stdout/stderr multiplexing for non-TTY attach and logs: each frame is an 8-byte header
// [stream, 0, 0, 0, big-endian uint32 length] followed by the payload.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace berth {

enum class StreamType : std::uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, Systemerr = 3 };

inline constexpr std::size_t kFrameHeaderSize = 8;
// Docker's own writer emits one frame per write and its readers accept any size; we split at this.
inline constexpr std::size_t kDefaultMaxFramePayload = 32 * 1024;

// Frames `payload`, splitting it into frames of at most `max_payload` bytes. An empty payload
// yields an empty string: a zero-length frame carries nothing.
std::string encode_frame(StreamType stream, std::string_view payload,
                         std::size_t max_payload = kDefaultMaxFramePayload);

// Incremental decoder: feed() takes arbitrary chunks of the byte stream and calls the callback once
// per complete non-empty frame. The payload view is only valid during the call.
class FrameDecoder {
 public:
  using Callback = std::function<void(StreamType, std::string_view)>;
  // Frames longer than `max_frame` are rejected instead of buffered, so a corrupt length cannot
  // make us allocate gigabytes.
  static constexpr std::size_t kDefaultMaxFrame = 64 * 1024 * 1024;

  explicit FrameDecoder(Callback callback, std::size_t max_frame = kDefaultMaxFrame);

  // Throws InvalidArgument on a malformed header (non-zero padding, unknown stream, oversized
  // frame); the decoder is then unusable.
  void feed(std::string_view chunk);
  // True when no partial frame is buffered, i.e. the stream may legitimately end here.
  bool at_frame_boundary() const noexcept { return buffer_.empty(); }

 private:
  // Length of the frame at the start of `data` (header included), validating the header.
  std::size_t frame_size(std::string_view header) const;

  Callback callback_;
  std::size_t max_frame_;
  std::string buffer_;  // bytes of an incomplete frame carried between feed() calls
};

}  // namespace berth
