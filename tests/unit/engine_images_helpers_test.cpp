// The image store's pure helpers: digests and chain IDs, tar member name checks, --change
// instructions, and the image list filters.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/dockerfile_changes.hpp"
#include "engine/images/image_filters.hpp"

using namespace berth::engine;
using berth::InvalidArgument;
using nlohmann::json;

TEST_CASE("sha256 digests and OCI chain IDs", "[images]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // docker's well-known empty layer: 1024 zero bytes.
  CHECK(sha256_hex(std::string(1024, '\0')) ==
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  CHECK(chain_id("", a) == a);
  CHECK(chain_id(a, b) == "sha256:" + sha256_hex(a + " " + b));
  CHECK(digest_hex(a) == std::string(64, 'a'));
  CHECK_THROWS_AS(digest_hex("sha256:../../etc"), InvalidArgument);
  CHECK_THROWS_AS(digest_hex("md5:" + std::string(64, 'a')), InvalidArgument);
}

TEST_CASE("tar member names are cleaned and escapes refused", "[images]") {
  CHECK(clean_member_name("./a//b/", "x") == "a/b");
  CHECK(clean_member_name("./", "x") == "");
  CHECK(clean_member_name("a/./b", "x") == "a/b");
  CHECK_THROWS_WITH(clean_member_name("../escape", "layer L"),
                    Catch::Contains("\"../escape\"") && Catch::Contains("layer L"));
  CHECK_THROWS_AS(clean_member_name("a/../../b", "x"), InvalidArgument);
  CHECK_THROWS_WITH(clean_member_name("/etc/evil", "x"), Catch::Contains("absolute"));
}

TEST_CASE("docker --change instructions build the image config", "[images]") {
  const json config = apply_changes(
      json::object(),
      {"CMD [\"sh\", \"-c\", \"echo hi\"]", "ENV A=1 B=\"two words\"", "ENV A=3", "env C 4 5",
       "EXPOSE 80 53/udp 8000-8001", "LABEL k=v \"x y\"=z", "USER 1000", "WORKDIR /w",
       "WORKDIR sub", "VOLUME [\"/data\"]", "VOLUME /a /b", "STOPSIGNAL SIGINT", "ONBUILD RUN true",
       "HEALTHCHECK --interval=5s --retries=2 CMD curl -f x"});
  CHECK(config["Cmd"] == json({"sh", "-c", "echo hi"}));
  CHECK(config["Env"] == json({"A=3", "B=two words", "C=4 5"}));
  CHECK(config["ExposedPorts"] == json({{"80/tcp", json::object()},
                                        {"53/udp", json::object()},
                                        {"8000/tcp", json::object()},
                                        {"8001/tcp", json::object()}}));
  CHECK(config["Labels"] == json({{"k", "v"}, {"x y", "z"}}));
  CHECK(config["User"] == "1000");
  CHECK(config["WorkingDir"] == "/w/sub");
  CHECK(config["Volumes"] ==
        json({{"/data", json::object()}, {"/a", json::object()}, {"/b", json::object()}}));
  CHECK(config["StopSignal"] == "SIGINT");
  CHECK(config["OnBuild"] == json({"RUN true"}));
  CHECK(config["Healthcheck"]["Test"] == json({"CMD-SHELL", "curl -f x"}));
  CHECK(config["Healthcheck"]["Interval"] == 5000000000LL);
  CHECK(config["Healthcheck"]["Retries"] == 2);

  CHECK(apply_changes(json::object(), {"CMD echo hi"})["Cmd"] ==
        json({"/bin/sh", "-c", "echo hi"}));
  // A new entrypoint drops an inherited Cmd, unless the same changes set one.
  CHECK(apply_changes(json{{"Cmd", {"sh"}}}, {"ENTRYPOINT [\"top\"]"})["Cmd"].is_null());
  CHECK(apply_changes(json::object(), {"CMD [\"-b\"]", "ENTRYPOINT [\"top\"]"})["Cmd"] ==
        json({"-b"}));
  CHECK_THROWS_WITH(apply_changes(json::object(), {"FROM busybox"}),
                    "from is not a valid change command");
  CHECK_THROWS_AS(apply_changes(json::object(), {"EXPOSE 99999"}), InvalidArgument);
  CHECK_THROWS_AS(apply_changes(json::object(), {"ENV A=\"unterminated"}), InvalidArgument);
}

TEST_CASE("image list filters follow docker", "[images]") {
  auto created_of = [](const std::string& ref) -> int64_t {
    if (ref == "old") return 100;
    if (ref == "new") return 300;
    throw berth::NotFound("No such image: " + ref);
  };
  Image image;
  image.created_unix = 200;
  image.config = {{"config", {{"Labels", {{"tier", "web"}, {"x", ""}}}}}};

  CHECK(ImageFilter::parse("", {"dangling"}, created_of).matches(image));
  CHECK(ImageFilter::parse(R"({"dangling":["true"]})", {"dangling"}, created_of).dangling() ==
        true);
  CHECK(ImageFilter::parse(R"({"dangling":{"false":true}})", {"dangling"}, created_of).dangling() ==
        false);
  CHECK_THROWS_WITH(ImageFilter::parse(R"({"dangling":{"maybe":true}})", {"dangling"}, created_of),
                    "Invalid filter 'dangling=[maybe]'");
  CHECK(
      ImageFilter::parse(R"({"dangling":["maybe","true"]})", {"dangling"}, created_of).dangling() ==
      true);
  CHECK_THROWS_WITH(ImageFilter::parse(R"({"colour":["red"]})", {"dangling"}, created_of),
                    "Invalid filter 'colour'");

  const std::vector<std::string> keys = {"label", "before", "since", "reference"};
  CHECK(ImageFilter::parse(R"({"label":{"tier=web":true}})", keys, created_of).matches(image));
  CHECK(ImageFilter::parse(R"({"label":["tier"]})", keys, created_of).matches(image));
  CHECK_FALSE(ImageFilter::parse(R"({"label":["tier=db"]})", keys, created_of).matches(image));
  CHECK(
      ImageFilter::parse(R"({"before":["new"],"since":["old"]})", keys, created_of).matches(image));
  CHECK_FALSE(ImageFilter::parse(R"({"before":["old"]})", keys, created_of).matches(image));
  CHECK_THROWS_AS(ImageFilter::parse(R"({"since":["nosuch"]})", keys, created_of), berth::NotFound);

  const auto refs = ImageFilter::parse(R"({"reference":["busy*"]})", keys, created_of);
  CHECK(refs.reference_matches("busybox:latest"));
  CHECK(refs.reference_matches("busybox:1.36"));
  CHECK_FALSE(refs.reference_matches("team/busybox:latest"));  // '*' stops at '/'
  const auto tagged = ImageFilter::parse(R"({"reference":["*/app:v*"]})", keys, created_of);
  CHECK(tagged.reference_matches("team/app:v1"));
  CHECK_FALSE(tagged.reference_matches("team/app:latest"));
}
