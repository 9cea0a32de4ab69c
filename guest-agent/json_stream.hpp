#pragma once
// Cuts the byte stream the host writes into the guest agent channel into JSON objects. The channel
// has no framing: QEMU's guest agent accepts back-to-back objects with any whitespace between them,
// and a 0xFF byte (never valid in UTF-8 JSON) tells it to drop whatever it had buffered so a new
// client can start clean after a previous one left a half-written request behind.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::agent {

// One unit of input: a complete top-level object's text, text that can never become one, or an
// object skipped for its size (text then says how large was too large).
struct StreamItem {
  enum class Kind { Object, Garbage, TooLarge };
  Kind kind;
  std::string text;
};

class JsonStreamSplitter {
 public:
  // An object larger than this is reported as garbage and skipped, so a runaway client cannot make
  // the agent buffer without bound.
  explicit JsonStreamSplitter(std::size_t max_object_size = 16 << 20)
      : max_object_size_(max_object_size) {}

  // Consumes `bytes` and returns every item they complete, in order.
  std::vector<StreamItem> feed(std::string_view bytes);
  // Drops any partial object (0xFF in the stream, or the host side disconnected).
  void reset();
  bool idle() const { return buffer_.empty(); }

 private:
  void flush_garbage(std::vector<StreamItem>& out);

  std::size_t max_object_size_;
  std::string buffer_;  // the partial object or run of garbage seen so far
  bool in_object_ = false;
  bool oversized_ = false;  // skipping the rest of an object that exceeded the limit
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace berth::agent
