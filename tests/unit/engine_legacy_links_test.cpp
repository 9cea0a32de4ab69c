// Legacy links' pure parts: parsing --link, the variables and the /etc/hosts line a linking
// container gets, and the update of that line when the linked container moves. Expected values
// are what dockerd 20.10 gives for the same links.
#include <catch2/catch.hpp>

#include "common/error.hpp"
#include "engine/containers/legacy_links.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

TEST_CASE("a --link value parses as dockerd's ParseLink", "[engine][links]") {
  CHECK(parse_link("db").name == "db");
  CHECK(parse_link("db").alias == "db");
  CHECK(parse_link("db:cache").name == "db");
  CHECK(parse_link("db:cache").alias == "cache");
  // The form inspect shows, sent back by a client that copies a HostConfig.
  CHECK(parse_link("/db:/web/cache").name == "db");
  CHECK(parse_link("/db:/web/cache").alias == "cache");
  CHECK_THROWS_WITH(parse_link("db:a:b"), "bad format for links: db:a:b");
  CHECK_THROWS_AS(parse_link("db:a:b"), InvalidArgument);
  CHECK_THROWS_WITH(parse_link(""), "empty string specified for links");
}

TEST_CASE("a link's variables: default port then runs of ports then each port then name and env",
          "[engine][links]") {
  LinkedContainer db;
  db.link_name = "/web/my-db";
  db.ip = "172.17.0.2";
  db.env = json{"FOO=bar", "PATH=/bin", "HOME=/root", "EMPTY=", "BARE"};
  db.exposed_ports = json{{"8080/tcp", json::object()},
                          {"7001/udp", json::object()},
                          {"7000/udp", json::object()},
                          {"7002/udp", json::object()},
                          {"90/tcp", json::object()}};
  const std::vector<std::string> expected = {
      "MY_DB_PORT=tcp://172.17.0.2:90",
      "MY_DB_PORT_7000_UDP_START=udp://172.17.0.2:7000",
      "MY_DB_PORT_7000_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_7000_UDP_PROTO=udp",
      "MY_DB_PORT_7000_UDP_PORT_START=7000",
      "MY_DB_PORT_7000_UDP_END=udp://172.17.0.2:7002",
      "MY_DB_PORT_7000_UDP_PORT_END=7002",
      "MY_DB_PORT_90_TCP=tcp://172.17.0.2:90",
      "MY_DB_PORT_90_TCP_ADDR=172.17.0.2",
      "MY_DB_PORT_90_TCP_PORT=90",
      "MY_DB_PORT_90_TCP_PROTO=tcp",
      // 7000's ADDR and PROTO were set by the run above: their place stays, as the process sees it.
      "MY_DB_PORT_7000_UDP=udp://172.17.0.2:7000",
      "MY_DB_PORT_7000_UDP_PORT=7000",
      "MY_DB_PORT_7001_UDP=udp://172.17.0.2:7001",
      "MY_DB_PORT_7001_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_7001_UDP_PORT=7001",
      "MY_DB_PORT_7001_UDP_PROTO=udp",
      "MY_DB_PORT_7002_UDP=udp://172.17.0.2:7002",
      "MY_DB_PORT_7002_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_7002_UDP_PORT=7002",
      "MY_DB_PORT_7002_UDP_PROTO=udp",
      "MY_DB_PORT_8080_TCP=tcp://172.17.0.2:8080",
      "MY_DB_PORT_8080_TCP_ADDR=172.17.0.2",
      "MY_DB_PORT_8080_TCP_PORT=8080",
      "MY_DB_PORT_8080_TCP_PROTO=tcp",
      "MY_DB_NAME=/web/my-db",
      "MY_DB_ENV_FOO=bar",
      "MY_DB_ENV_EMPTY=",
  };
  CHECK(link_environment(db) == expected);
}

TEST_CASE("a link without ports gives only its name and variables and tcp comes before udp",
          "[engine][links]") {
  LinkedContainer quiet;
  quiet.link_name = "/app/q";
  quiet.ip = "172.17.0.9";
  CHECK(link_environment(quiet) == std::vector<std::string>{"Q_NAME=/app/q"});

  LinkedContainer dns;
  dns.link_name = "/app/dns";
  dns.ip = "172.17.0.3";
  dns.exposed_ports = json{{"53/udp", json::object()}, {"53/tcp", json::object()}};
  const auto env = link_environment(dns);
  REQUIRE(env.size() == 10);
  CHECK(env[0] == "DNS_PORT=tcp://172.17.0.3:53");
  CHECK(env[1] == "DNS_PORT_53_TCP=tcp://172.17.0.3:53");
  CHECK(env[5] == "DNS_PORT_53_UDP=udp://172.17.0.3:53");
}

TEST_CASE("a link's /etc/hosts line names the alias, the hostname, and the name when different",
          "[engine][links]") {
  LinkedContainer db;
  db.link_name = "/web/cache";
  db.ip = "172.17.0.2";
  db.hostname = "13b539585852";
  db.name = "db";
  CHECK(link_hosts_line(db) == "172.17.0.2\tcache 13b539585852 db\n");
  db.link_name = "/web/db";
  CHECK(link_hosts_line(db) == "172.17.0.2\tdb 13b539585852\n");
}

TEST_CASE("the linked container's new address replaces the old one on its lines only",
          "[engine][links]") {
  const std::string hosts =
      "127.0.0.1\tlocalhost\n"
      "172.17.0.2\tdb 13b539585852\n"
      "172.17.0.5\tdbx 0123456789ab\n"
      "172.17.0.6\tother db\n"
      "172.17.0.3\t5e0f1f1a2b3c\n";
  CHECK(hosts_with_address(hosts, "db", "172.17.0.4") ==
        "127.0.0.1\tlocalhost\n"
        "172.17.0.4\tdb 13b539585852\n"
        "172.17.0.5\tdbx 0123456789ab\n"
        "172.17.0.6\tother db\n"
        "172.17.0.3\t5e0f1f1a2b3c\n");
  CHECK(hosts_with_address(hosts, "nothing", "172.17.0.4") == hosts);
}
