#include "guest-agent/json_stream.hpp"

namespace berth::agent {

namespace {
constexpr char kResetByte = '\xff';
}

void JsonStreamSplitter::reset() {
  buffer_.clear();
  in_object_ = false;
  oversized_ = false;
  depth_ = 0;
  in_string_ = false;
  escaped_ = false;
}

void JsonStreamSplitter::flush_garbage(std::vector<StreamItem>& out) {
  if (buffer_.empty()) return;
  out.push_back({StreamItem::Kind::Garbage, std::move(buffer_)});
  buffer_.clear();
}

std::vector<StreamItem> JsonStreamSplitter::feed(std::string_view bytes) {
  std::vector<StreamItem> out;
  for (char c : bytes) {
    if (c == kResetByte) {
      reset();
      continue;
    }
    if (!in_object_) {
      if (c == '{') {
        flush_garbage(out);
        in_object_ = true;
        depth_ = 1;
        buffer_ = "{";
      } else if (c == '\n') {
        // A line of junk is one error, not one per character.
        flush_garbage(out);
      } else if (c == ' ' || c == '\t' || c == '\r') {
        if (!buffer_.empty()) buffer_ += c;
      } else if (buffer_.size() < 4096) {
        buffer_ += c;
      }
      continue;
    }

    if (!oversized_) {
      buffer_ += c;
      if (buffer_.size() > max_object_size_) {
        oversized_ = true;
        buffer_.clear();
      }
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        if (oversized_) {
          out.push_back({StreamItem::Kind::TooLarge, std::to_string(max_object_size_)});
        } else {
          out.push_back({StreamItem::Kind::Object, std::move(buffer_)});
        }
        reset();
      }
    }
  }
  return out;
}

}  // namespace berth::agent
