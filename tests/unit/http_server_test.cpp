// The HTTP server and client together over a unix socket and TCP: routing, bodies, streaming,
// hijacking, and what happens to requests no client should send.
#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

http::Router test_routes(std::promise<void>* first_chunk_seen = nullptr) {
  http::Router r;
  r.add("GET", "/_ping",
        [](http::Request&, http::Response& res) { res.send(200, "OK", "text/plain"); });
  r.add("GET", "/containers/{id}/json", [](http::Request& req, http::Response& res) {
    res.send_json(200, {{"Id", req.param("id")},
                        {"all", req.query_bool("all")},
                        {"filters", req.query("filters").value_or("")}});
  });
  r.add("POST", "/echo", [](http::Request& req, http::Response& res) {
    res.send(200, req.read_body(1024 * 1024), "application/octet-stream");
  });
  r.add("POST", "/json", [](http::Request& req, http::Response& res) {
    auto body = req.read_json();
    res.send_json(201, {{"Image", body.at("Image").get<std::string>()}});
  });
  r.add("GET", "/missing",
        [](http::Request&, http::Response&) { throw NotFound("no such container: x"); });
  r.add("GET", "/stream", [first_chunk_seen](http::Request&, http::Response& res) {
    res.start_stream(200, "application/json");
    res.write("first\n");
    // The test releases us only after its client has read the first chunk: a server that buffered
    // the stream until the end would never get here in time.
    std::string next = "second\n";
    if (first_chunk_seen) {
      if (first_chunk_seen->get_future().wait_for(5s) != std::future_status::ready)
        next = "TIMEOUT\n";
    }
    res.write(next);
    res.finish();
  });
  r.add("POST", "/hijack", [](http::Request&, http::Response& res) {
    Stream& s = res.hijack("application/vnd.docker.raw-stream");
    std::string got;
    char buf[1024];
    while (size_t n = s.read_some(buf, sizeof buf)) got.append(buf, n);  // until the half-close
    s.write_all("got:" + got);
    s.shutdown_write();
  });
  return r;
}

struct UnixServer {
  test::TempDir dir;
  Endpoint endpoint;
  std::unique_ptr<http::Server> server;
  explicit UnixServer(http::Router router, http::ServerLimits limits = {}) {
    endpoint = Endpoint::parse("unix://" + dir.file("api.sock"));
    server = std::make_unique<http::Server>(std::move(router), limits);
    server->set_default_headers({{"Api-Version", "1.50"}, {"Server", "berth-test"}});
    server->listen({endpoint, std::nullopt});
  }
  http::HttpClient client() const { return http::HttpClient({.endpoint = endpoint}); }
};

}  // namespace

TEST_CASE("server answers routed requests with parameters, queries and default headers", "[http]") {
  UnixServer s(test_routes());
  auto client = s.client();
  auto ping = client.request("GET", "/_ping");
  CHECK(ping.status == 200);
  CHECK(ping.body == "OK");
  CHECK(ping.header("api-version") == "1.50");
  CHECK(ping.header("Server") == "berth-test");

  auto inspect = client.request("GET", "/containers/web/json?all=1&filters=%7B%22a%22%3A1%7D");
  REQUIRE(inspect.status == 200);
  auto j = nlohmann::json::parse(inspect.body);
  CHECK(j["Id"] == "web");
  CHECK(j["all"] == true);
  CHECK(j["filters"] == "{\"a\":1}");

  CHECK(client.request("GET", "/nope").status == 404);
  CHECK(client.request("DELETE", "/_ping").status == 405);
  auto missing = client.request("GET", "/missing");
  CHECK(missing.status == 404);
  CHECK(http::error_message_from_body(missing.status, missing.body) == "no such container: x");

  auto head = client.request("HEAD", "/_ping");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(client.request("GET", "/_ping").body == "OK");  // the connection survived the HEAD
}

TEST_CASE("request bodies: fixed, chunked, JSON, and malformed JSON", "[http]") {
  UnixServer s(test_routes());
  auto client = s.client();
  auto echo = client.request("POST", "/echo", "hello body", {{"Content-Type", "text/plain"}});
  CHECK(echo.status == 200);
  CHECK(echo.body == "hello body");

  std::string big(300 * 1024, 'x');
  size_t offset = 0;
  auto streamed = client.open("POST", "/echo", [&](char* data, size_t size) {
    const size_t n = std::min(size, big.size() - offset);
    std::memcpy(data, big.data() + offset, n);
    offset += n;
    return n;
  });
  CHECK(streamed->status() == 200);
  CHECK(streamed->read_all() == big);

  auto created = client.request("POST", "/json", R"({"Image":"busybox"})");
  CHECK(created.status == 201);
  CHECK(nlohmann::json::parse(created.body)["Image"] == "busybox");

  auto bad = client.request("POST", "/json", R"({"Image": )");
  CHECK(bad.status == 400);
  CHECK_THAT(http::error_message_from_body(bad.status, bad.body),
             Catch::Contains("invalid JSON in request body"));

  // A value of the wrong type: 400, in words without the JSON library's internal error id.
  auto mistyped = client.request("POST", "/json", R"({"Image": 42})");
  CHECK(mistyped.status == 400);
  CHECK(http::error_message_from_body(mistyped.status, mistyped.body) ==
        "invalid JSON in request body: type must be string, but is number");
}

TEST_CASE("a chunked stream delivers data before the response ends", "[http]") {
  std::promise<void> first_seen;
  UnixServer s(test_routes(&first_seen));
  auto client = s.client();
  auto stream = client.open("GET", "/stream");
  REQUIRE(stream->status() == 200);
  CHECK(stream->header("Transfer-Encoding") == "chunked");
  std::string line;
  REQUIRE(stream->read_line(line));
  CHECK(line == "first");
  first_seen.set_value();
  REQUIRE(stream->read_line(line));
  CHECK(line == "second");
  CHECK_FALSE(stream->read_line(line));
}

TEST_CASE("a hijacked connection carries bytes both ways with half-close", "[http]") {
  UnixServer s(test_routes());
  auto client = s.client();
  auto hijacked = client.hijack("POST", "/hijack");
  CHECK(hijacked.status == 101);
  CHECK(hijacked.header("Content-Type") == "application/vnd.docker.raw-stream");
  hijacked.stream->write_all("hello ");
  hijacked.stream->write_all("world");
  hijacked.stream->shutdown_write();  // the server reads until this EOF, then answers
  std::string got;
  char buf[256];
  hijacked.stream->set_deadline(Clock::now() + 5s);
  while (size_t n = hijacked.stream->read_some(buf, sizeof buf)) got.append(buf, n);
  CHECK(got == "got:hello world");
}

TEST_CASE("bytes pipelined right after an upgrade request reach the hijacked stream", "[http]") {
  UnixServer s(test_routes());
  test::RawConnection raw(s.endpoint);
  raw.send("POST /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly");
  raw.shutdown_write();
  const std::string out = raw.read_until_close();
  CHECK_THAT(out, Catch::StartsWith("HTTP/1.1 101 UPGRADED\r\n"));
  CHECK_THAT(out, Catch::EndsWith("got:early"));
}

TEST_CASE("an HTTP/1.0 request is answered in HTTP/1.0, streams end with the connection",
          "[http]") {
  std::promise<void> released;
  released.set_value();
  UnixServer s(test_routes(&released));
  SECTION("plain answer, closed after it") {
    test::RawConnection raw(s.endpoint);
    raw.send("GET /_ping HTTP/1.0\r\n\r\n");
    const std::string out = raw.read_until_close();
    CHECK_THAT(out, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
    CHECK_THAT(out, Catch::Contains("Connection: close"));
    CHECK_THAT(out, Catch::EndsWith("\r\n\r\nOK"));
  }
  SECTION("keep-alive asked for is kept and said") {
    test::RawConnection raw(s.endpoint);
    raw.send(
        "GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        "GET /_ping HTTP/1.0\r\n\r\n");
    const std::string out = raw.read_until_close();
    CHECK_THAT(out, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
    CHECK_THAT(out, Catch::Contains("Connection: keep-alive"));
    CHECK(out.find("HTTP/1.0 200 OK", 10) != std::string::npos);  // the second answer came too
  }
  SECTION("a stream is not chunked") {
    test::RawConnection raw(s.endpoint);
    raw.send("GET /stream HTTP/1.0\r\n\r\n");
    const std::string out = raw.read_until_close();
    CHECK_THAT(out, Catch::StartsWith("HTTP/1.0 200 OK\r\n"));
    CHECK_THAT(out, !Catch::Contains("Transfer-Encoding"));
    CHECK_THAT(out, Catch::EndsWith("\r\n\r\nfirst\nsecond\n"));
  }
}

TEST_CASE("malformed requests get 4xx or a closed connection and the server goes on", "[http]") {
  http::ServerLimits limits;
  limits.header_bytes = 8 * 1024;
  limits.default_body_bytes = 64 * 1024;
  UnixServer s(test_routes(), limits);

  SECTION("bad request line") {
    test::RawConnection raw(s.endpoint);
    raw.send("THIS IS NOT HTTP\r\n\r\n");
    CHECK_THAT(raw.read_until_close(), Catch::StartsWith("HTTP/1.1 400"));
  }
  SECTION("oversized header") {
    test::RawConnection raw(s.endpoint);
    raw.send("GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    CHECK_THAT(raw.read_until_close(), Catch::StartsWith("HTTP/1.1 431"));
  }
  SECTION("declared body over the limit is refused before it is sent") {
    test::RawConnection raw(s.endpoint);
    raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
    const std::string out = raw.read_until_close(2s);
    CHECK_THAT(out, Catch::StartsWith("HTTP/1.1 413"));
    CHECK_THAT(out, Catch::Contains("exceeds the limit"));
  }
  SECTION("chunked body over the limit") {
    test::RawConnection raw(s.endpoint);
    raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(16 * 1024, 'z');
    try {
      for (int i = 0; i < 80; ++i) raw.send("4000\r\n" + chunk + "\r\n");  // 1.25 MiB > 1 MiB
    } catch (const Error&) {
      // The server may close while we still send; its answer is what counts.
    }
    CHECK_THAT(raw.read_until_close(), Catch::StartsWith("HTTP/1.1 413"));
  }
  SECTION("truncated chunk") {
    test::RawConnection raw(s.endpoint);
    raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
    raw.shutdown_write();
    const std::string out = raw.read_until_close();
    CHECK((out.empty() || out.starts_with("HTTP/1.1 400")));
  }
  SECTION("malformed chunk size") {
    test::RawConnection raw(s.endpoint);
    raw.send(
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    const std::string out = raw.read_until_close();
    CHECK((out.empty() || out.starts_with("HTTP/1.1 400")));
  }
  // Whatever happened above, others are still served.
  auto client = s.client();
  CHECK(client.request("GET", "/_ping").body == "OK");
}

TEST_CASE("a client that drips its header slowly is cut off at the header deadline", "[http]") {
  http::ServerLimits limits;
  limits.header_timeout = 300ms;
  UnixServer s(test_routes(), limits);
  test::RawConnection raw(s.endpoint);
  const auto start = Clock::now();
  raw.send("GET /_ping HTTP/1.1\r\n");
  std::string out;
  for (int i = 0; i < 20 && out.empty(); ++i) {
    try {
      raw.send("X: y\r\n");  // keeps the connection busy but never finishes the header
    } catch (const Error&) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  out = raw.read_until_close(3s);
  CHECK(out.empty());
  CHECK(Clock::now() - start < 2500ms);
  CHECK(s.client().request("GET", "/_ping").status == 200);
}

TEST_CASE("graceful stop lets a request in progress finish and closes idle connections", "[http]") {
  test::TempDir dir;
  const auto endpoint = Endpoint::parse("unix://" + dir.file("api.sock"));
  std::promise<void> started;
  http::Router r;
  r.add("GET", "/slow", [&](http::Request&, http::Response& res) {
    started.set_value();
    std::this_thread::sleep_for(300ms);
    res.send(200, "done", "text/plain");
  });
  r.add("GET", "/_ping",
        [](http::Request&, http::Response& res) { res.send(200, "OK", "text/plain"); });
  http::Server server(std::move(r));
  server.listen({endpoint, std::nullopt});

  test::RawConnection idle(endpoint);  // connected, never sends a request
  http::HttpClient client({.endpoint = endpoint});
  auto slow = std::async(std::launch::async, [&] { return client.request("GET", "/slow"); });
  started.get_future().wait();
  const auto t0 = Clock::now();
  server.stop(5s);
  CHECK(Clock::now() - t0 < 2s);
  auto response = slow.get();
  CHECK(response.status == 200);
  CHECK(response.body == "done");
  CHECK(idle.read_until_close(1s).empty());
  CHECK_FALSE(std::filesystem::exists(endpoint.path));
  http::HttpClient late({.endpoint = endpoint, .connect_timeout = 1s});
  CHECK_THROWS_AS(late.request("GET", "/_ping"), Error);
}

TEST_CASE("server and client over TCP on loopback", "[http]") {
  http::Server server(test_routes());
  const uint16_t port = server.listen({Endpoint::parse("tcp://127.0.0.1:0"), std::nullopt});
  REQUIRE(port != 0);
  http::HttpClient client({.endpoint = Endpoint::parse("tcp://127.0.0.1:" + std::to_string(port))});
  CHECK(client.request("GET", "/_ping").body == "OK");
  CHECK(client.request("POST", "/echo", "tcp body").body == "tcp body");
}

TEST_CASE("endpoints parse as docker writes them and reject nonsense", "[http][endpoint]") {
  auto unix_ep = Endpoint::parse("unix:///run/berth/berth.sock");
  CHECK(unix_ep.kind == Endpoint::Kind::unix_socket);
  CHECK(unix_ep.path == "/run/berth/berth.sock");
  auto tcp = Endpoint::parse("tcp://10.0.0.5:2376");
  CHECK(tcp.host == "10.0.0.5");
  CHECK(tcp.port == 2376);
  auto v6 = Endpoint::parse("tcp://[::1]:2376");
  CHECK(v6.host == "::1");
  CHECK(v6.to_string() == "tcp://[::1]:2376");
  CHECK(Endpoint::parse("tcp://example", 2376).port == 2376);
  CHECK_THROWS_AS(Endpoint::parse("http://x:1"), InvalidArgument);
  CHECK_THROWS_AS(Endpoint::parse("tcp://x:99999"), InvalidArgument);
  CHECK_THROWS_AS(Endpoint::parse("unix://relative"), InvalidArgument);
}
