#include <catch2/catch.hpp>

#include "common/http_router.hpp"

using berth::http::Router;

namespace {
Router sample_router(std::string& hit) {
  Router r;
  r.add("GET", "/containers/json", [&](auto&, auto&) { hit = "list"; });
  r.add("GET", "/containers/{id}/json", [&](auto&, auto&) { hit = "inspect"; });
  r.add("POST", "/containers/{id}/start", [&](auto&, auto&) { hit = "start"; });
  r.add("GET", "/images/{name*}/json", [&](auto&, auto&) { hit = "image"; });
  r.add("DELETE", "/images/{name*}", [&](auto&, auto&) { hit = "rmi"; });
  return r;
}
}  // namespace

TEST_CASE("router matches literal and parameter segments", "[http][router]") {
  std::string hit;
  Router r = sample_router(hit);
  auto m = r.match("GET", "/containers/json");
  REQUIRE(m.handler);
  auto inspect = r.match("GET", "/containers/abc123/json");
  REQUIRE(inspect.handler);
  CHECK(inspect.params.at("id") == "abc123");
  CHECK_FALSE(r.match("GET", "/containers/abc/json/extra").handler);
}

TEST_CASE("router greedy parameters capture image names with slashes", "[http][router]") {
  std::string hit;
  Router r = sample_router(hit);
  auto m = r.match("GET", "/images/localhost:5000/team/app/json");
  REQUIRE(m.handler);
  CHECK(m.params.at("name") == "localhost:5000/team/app");
  auto del = r.match("DELETE", "/images/busybox");
  REQUIRE(del.handler);
  CHECK(del.params.at("name") == "busybox");
  auto encoded = r.match("GET", "/images/a%2Fb/json");
  REQUIRE(encoded.handler);
  CHECK(encoded.params.at("name") == "a/b");
}

TEST_CASE("router tells a wrong method from an unknown path", "[http][router]") {
  std::string hit;
  Router r = sample_router(hit);
  auto wrong = r.match("DELETE", "/containers/x/start");
  CHECK_FALSE(wrong.handler);
  CHECK(wrong.path_known);
  auto unknown = r.match("GET", "/nope");
  CHECK_FALSE(unknown.handler);
  CHECK_FALSE(unknown.path_known);
  CHECK(r.match("HEAD", "/containers/json").handler);  // HEAD falls back to GET
}

TEST_CASE("percent decoding and encoding round-trip", "[http][router]") {
  using berth::http::percent_decode;
  using berth::http::percent_encode;
  CHECK(percent_decode("a%20b+c", true) == "a b c");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("bad%zz%4") == "bad%zz%4");
  CHECK(percent_decode(percent_encode("{\"name\":{\"web\":true}}")) == "{\"name\":{\"web\":true}}");
}
