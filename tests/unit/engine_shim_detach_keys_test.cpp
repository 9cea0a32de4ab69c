// Docker's detach key specs, as the attach request's detachKeys parameter and --detach-keys give
// them, turned into the bytes berth-shim watches a terminal's input for.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/containers/shim_client.hpp"

using berth::engine::detach_key_bytes;
using berth::engine::kDefaultDetachKeys;

TEST_CASE("detach keys: docker's default and single characters", "[shim]") {
  CHECK(detach_key_bytes("ctrl-p,ctrl-q") == kDefaultDetachKeys);
  CHECK(detach_key_bytes("ctrl-x,x") == std::string("\x18x"));
  CHECK(detach_key_bytes("a") == "a");
}

TEST_CASE("detach keys: every control key term.ToBytes knows", "[shim]") {
  CHECK(detach_key_bytes("ctrl-@") == std::string(1, '\0'));
  CHECK(detach_key_bytes("ctrl-a") == "\x01");
  CHECK(detach_key_bytes("ctrl-z") == "\x1a");
  CHECK(detach_key_bytes("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == "\x1b\x1c\x1d\x1e\x1f");
  CHECK(detach_key_bytes("DEL") == "\x7f");
}

TEST_CASE("detach keys: unknown keys are dockerd's invalid-parameter error", "[shim]") {
  for (const char* spec : {"", "ctrl-", "ctrl-P", "ctrl-1", "ctrl-pp", "shift-a", "ctrl-p,", ","}) {
    INFO(spec);
    CHECK_THROWS_AS(detach_key_bytes(spec), berth::InvalidArgument);
  }
  CHECK_THROWS_WITH(detach_key_bytes("ctrl-y,nope"), "Invalid detach keys (ctrl-y,nope) provided");
}
