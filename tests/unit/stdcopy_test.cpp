#include "common/stdcopy.hpp"

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "common/error.hpp"

using namespace berth;
using Event = std::pair<StreamType, std::string>;

namespace {

std::vector<Event> decode_chunks(const std::vector<std::string_view>& chunks) {
  std::vector<Event> events;
  FrameDecoder decoder(
      [&](StreamType stream, std::string_view payload) { events.emplace_back(stream, payload); });
  for (auto chunk : chunks) decoder.feed(chunk);
  CHECK(decoder.at_frame_boundary());
  return events;
}

}  // namespace

TEST_CASE("encode_frame writes Docker's 8-byte header", "[stdcopy]") {
  CHECK(encode_frame(StreamType::Stdout, "hi") == std::string("\x01\0\0\0\0\0\0\x02hi", 10));
  CHECK(encode_frame(StreamType::Stderr, "x") == std::string("\x02\0\0\0\0\0\0\x01x", 9));
  std::string big(0x012345, 'b');
  std::string frame = encode_frame(StreamType::Stdin, big, 1 << 20);
  CHECK(frame.substr(0, 8) == std::string("\x00\0\0\0\x00\x01\x23\x45", 8));
  CHECK(frame.size() == 8 + big.size());
  CHECK(encode_frame(StreamType::Stdout, "").empty());
}

TEST_CASE("encode_frame splits large payloads", "[stdcopy]") {
  std::string payload;
  for (int i = 0; i < 100; ++i) payload += static_cast<char>('a' + i % 26);
  std::string frames = encode_frame(StreamType::Stderr, payload, 30);
  CHECK(frames.size() == 100 + 4 * 8);
  auto events = decode_chunks({frames});
  REQUIRE(events.size() == 4);
  std::string joined;
  for (const auto& [stream, data] : events) {
    CHECK(stream == StreamType::Stderr);
    CHECK(data.size() <= 30);
    joined += data;
  }
  CHECK(joined == payload);
  CHECK_THROWS_AS(encode_frame(StreamType::Stdout, "x", 0), InvalidArgument);
}

TEST_CASE("FrameDecoder handles every split of a 3-frame stream", "[stdcopy]") {
  std::string bytes = encode_frame(StreamType::Stdout, "hello") +
                      encode_frame(StreamType::Stderr, "oops!\n") +
                      encode_frame(StreamType::Systemerr, "w");
  const std::vector<Event> expected = {
      {StreamType::Stdout, "hello"}, {StreamType::Stderr, "oops!\n"}, {StreamType::Systemerr, "w"}};
  std::string_view all = bytes;
  for (std::size_t i = 0; i <= all.size(); ++i) {
    for (std::size_t j = i; j <= all.size(); ++j) {
      INFO("split at " << i << " and " << j);
      REQUIRE(decode_chunks({all.substr(0, i), all.substr(i, j - i), all.substr(j)}) == expected);
    }
  }
  std::vector<std::string_view> single_bytes;
  for (std::size_t i = 0; i < all.size(); ++i) single_bytes.push_back(all.substr(i, 1));
  CHECK(decode_chunks(single_bytes) == expected);
}

TEST_CASE("FrameDecoder reports partial frames and skips empty ones", "[stdcopy]") {
  std::vector<Event> events;
  FrameDecoder decoder(
      [&](StreamType stream, std::string_view payload) { events.emplace_back(stream, payload); });
  decoder.feed(std::string("\x01\0\0\0\0\0\0\0", 8));  // zero-length frame
  CHECK(events.empty());
  CHECK(decoder.at_frame_boundary());
  std::string frame = encode_frame(StreamType::Stdout, "abc");
  decoder.feed(std::string_view(frame).substr(0, 9));
  CHECK_FALSE(decoder.at_frame_boundary());
  CHECK(events.empty());
  decoder.feed(std::string_view(frame).substr(9));
  CHECK(decoder.at_frame_boundary());
  CHECK(events == std::vector<Event>{{StreamType::Stdout, "abc"}});
}

TEST_CASE("FrameDecoder rejects malformed headers", "[stdcopy]") {
  auto noop = [](StreamType, std::string_view) {};
  SECTION("unknown stream type") {
    FrameDecoder decoder(noop);
    CHECK_THROWS_AS(decoder.feed(std::string("\x04\0\0\0\0\0\0\x01x", 9)), InvalidArgument);
  }
  SECTION("non-zero padding, even when the header arrives in pieces") {
    FrameDecoder decoder(noop);
    decoder.feed(encode_frame(StreamType::Stdout, "ok"));
    decoder.feed(std::string("\x01\0", 2));
    CHECK_THROWS_WITH(decoder.feed(std::string("\x07\0\0\0\0\x01x", 7)),
                      Catch::Contains("padding"));
  }
  SECTION("a length beyond the limit") {
    FrameDecoder decoder(noop, 16);
    CHECK_THROWS_WITH(decoder.feed(std::string("\x01\0\0\0\0\0\0\x11", 8)), Catch::Contains("17"));
  }
  SECTION("plain text where frames were expected") {
    FrameDecoder decoder(noop);
    CHECK_THROWS_AS(decoder.feed("hello world\n"), InvalidArgument);
  }
}
