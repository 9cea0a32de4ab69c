// The engine API's request plumbing: version prefixes and event filters.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/api/api_server.hpp"
#include "engine/events.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace berth::engine;

TEST_CASE("API version prefixes are stripped, out-of-range versions refused", "[engine][api]") {
  test::TempDir dir;
  http::Router router;
  router.add("GET", "/info", [](http::Request& req, http::Response& res) {
    res.send_json(200, {{"version", req.attribute("api-version")}});
  });
  http::Server server(std::move(router));
  server.set_request_filter(api::version_filter);
  const auto ep = Endpoint::parse("unix://" + dir.file("s.sock"));
  server.listen({ep, std::nullopt});
  http::HttpClient client({.endpoint = ep});
  CHECK(nlohmann::json::parse(client.request("GET", "/v1.50/info").body)["version"] == "1.50");
  CHECK(nlohmann::json::parse(client.request("GET", "/v1.24/info").body)["version"] == "1.24");
  CHECK(client.request("GET", "/info").status == 200);
  auto old = client.request("GET", "/v1.12/info");
  CHECK(old.status == 400);
  CHECK_THAT(old.body, Catch::Contains("client version 1.12 is too old"));
  auto fresh = client.request("GET", "/v1.99/info");
  CHECK(fresh.status == 400);
  CHECK_THAT(fresh.body, Catch::Contains("Maximum supported API version is 1.50"));
}

TEST_CASE("events: filters and history", "[engine][events]") {
  EventBus bus;
  bus.publish({"container", "start", "c1", {{"name", "web"}, {"image", "busybox"}}});
  bus.publish({"image", "tag", "sha256:1", {{"name", "busybox:latest"}}});
  auto sub = bus.subscribe(0);
  auto first = sub->next(std::chrono::milliseconds(100));
  REQUIRE(first);
  CHECK(first->to_json()["Action"] == "start");
  CHECK(first->to_json()["status"] == "start");
  CHECK(first->to_json()["from"] == "busybox");
  CHECK(sub->next(std::chrono::milliseconds(100)));
  CHECK_FALSE(sub->next(std::chrono::milliseconds(50)));

  const auto containers = EventFilter::parse(R"({"type":{"container":true}})");
  const Event e{"container", "die", "c1", {{"name", "web"}, {"image", "busybox"}}};
  CHECK(containers.matches(e));
  CHECK_FALSE(containers.matches(Event{"image", "tag", "x", {}}));
  CHECK(EventFilter::parse(R"({"container":["web"]})").matches(e));
  CHECK_FALSE(EventFilter::parse(R"({"container":["db"]})").matches(e));
  CHECK(EventFilter::parse(R"({"event":["die","start"]})").matches(e));
  CHECK(EventFilter::parse(R"({"image":["busybox"]})").matches(e));
  CHECK_THROWS_AS(EventFilter::parse(R"({"type":"container"})"), InvalidArgument);
}
