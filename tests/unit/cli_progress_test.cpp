// The engine's JSON progress stream rendered as docker renders it, on a terminal and off one.
#include <catch2/catch.hpp>
#include <sstream>

#include "cli/progress/json_message_stream.hpp"
#include "common/error.hpp"

using berth::Json;
using berth::cli::progress::JsonMessageStream;
using berth::cli::progress::progress_text;

namespace {

const char* kPull =
    R"({"status":"Pulling from library/busybox","id":"latest"})"
    "\n"
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"aaa"})"
    "\n"
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"bbb"})"
    "\n"
    R"({"status":"Downloading","progressDetail":{"current":1000000,"total":2000000},"id":"aaa"})"
    "\n"
    R"({"status":"Download complete","progressDetail":{},"id":"bbb"})"
    "\n"
    R"({"status":"Digest: sha256:abc"})"
    "\n";

}  // namespace

TEST_CASE("progress text is docker's bar with sizes and unknown totals", "[cli][progress]") {
  const Json half = Json::parse(R"({"current":1000000,"total":2000000})");
  CHECK(progress_text(half, 80) == "     1MB/2MB");
  CHECK(progress_text(half, 120) ==
        "[=========================>                         ]      1MB/2MB");
  CHECK(progress_text(Json::parse(R"({"current":1500})"), 80) == "   1.5kB");
  CHECK(progress_text(Json::parse(R"({"current":3,"total":7,"units":"layers"})"), 80) ==
        "3/7 layers");
  CHECK(progress_text(Json::object(), 120).empty());
  // A current beyond the total (a wonky report) shows the current size alone.
  CHECK(progress_text(Json::parse(R"({"current":3000,"total":2000})"), 80) == "     3kB");
}

TEST_CASE("off a terminal progress updates are left out and the rest are plain lines",
          "[cli][progress]") {
  std::ostringstream out;
  JsonMessageStream stream(out, false);
  stream.feed(kPull);
  stream.feed(R"({"stream":"Loaded image: busybox:latest\n"})"
              "\n");
  CHECK(out.str() ==
        "latest: Pulling from library/busybox\n"
        "aaa: Pulling fs layer\n"
        "bbb: Pulling fs layer\n"
        "bbb: Download complete\n"
        "Digest: sha256:abc\n"
        "Loaded image: busybox:latest\n");
}

TEST_CASE("on a terminal each layer keeps its line and is redrawn in place", "[cli][progress]") {
  std::ostringstream out;
  JsonMessageStream stream(out, true, 80);
  stream.feed(kPull);
  CHECK(out.str() ==
        // the line of the tag, then a new line per layer, the cursor moved up to it and back
        "latest: Pulling from library/busybox\n"
        "\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B"
        "\x1b[2A\x1b[2K\raaa: Downloading      1MB/2MB\r\x1b[2B"
        "\x1b[1A\x1b[2K\rbbb: Download complete \r\x1b[1B"
        "Digest: sha256:abc\n");
}

TEST_CASE("messages split anywhere are put together before they are shown", "[cli][progress]") {
  std::ostringstream out;
  JsonMessageStream stream(out, false);
  const std::string all = R"({"stream":"Step 1/2 : FROM busybox\n"})"
                          "\n"
                          R"({"stream":"Successfully built abc\n"})";
  for (char c : all) stream.feed(std::string_view(&c, 1));
  CHECK(out.str() == "Step 1/2 : FROM busybox\n");
  stream.finish();
  CHECK(out.str() == "Step 1/2 : FROM busybox\nSuccessfully built abc\n");
}

TEST_CASE("an error message stops the stream with the engine's words", "[cli][progress]") {
  std::ostringstream out;
  JsonMessageStream stream(out, false);
  CHECK_THROWS_WITH(stream.feed(R"({"status":"Loading layer"})"
                                "\n"
                                R"({"errorDetail":{"message":"archive/tar: invalid header"},)"
                                R"("error":"archive/tar: invalid header"})"
                                "\n"),
                    "archive/tar: invalid header");
  CHECK(out.str() == "Loading layer\n");
  CHECK_THROWS_WITH(stream.feed("not json\n"), Catch::Contains("not JSON: not json"));
}

TEST_CASE("aux payloads go to the caller instead of the screen", "[cli][progress]") {
  std::ostringstream out;
  JsonMessageStream stream(out, false);
  Json seen;
  stream.on_aux = [&](const Json& aux) { seen = aux; };
  stream.feed(R"({"aux":{"ID":"sha256:abc"}})"
              "\n");
  CHECK(seen["ID"] == "sha256:abc");
  CHECK(out.str().empty());
}
