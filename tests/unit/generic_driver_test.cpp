// The generic driver: what it records, how it judges a host's state, and what it tells a user who
// asks it to do what only the host's owner can.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "drivers/factory.hpp"
#include "drivers/generic/generic_driver.hpp"

using namespace berth;
using namespace berth::drivers;

namespace {

// A one-connection TCP server on 127.0.0.1 that sends `greeting` and closes.
struct Greeter {
  UniqueFd listener;
  int port = 0;
  std::thread thread;
  explicit Greeter(std::string greeting) {
    Endpoint e = Endpoint::parse("tcp://127.0.0.1:0");
    listener = listen_on(e);
    port = bound_port(listener.get());
    thread = std::thread([this, greeting] {
      int fd = ::accept(listener.get(), nullptr, nullptr);
      if (fd < 0) return;
      if (!greeting.empty()) (void)!::write(fd, greeting.data(), greeting.size());
      ::usleep(200'000);
      ::close(fd);
    });
  }
  ~Greeter() {
    ::shutdown(listener.get(), SHUT_RDWR);
    thread.join();
  }
};

// A port on 127.0.0.1 where nothing listens.
int closed_port() {
  UniqueFd fd = listen_on(Endpoint::parse("tcp://127.0.0.1:0"));
  return bound_port(fd.get());
}

GenericConfig config(int port) {
  GenericConfig c;
  c.name = "host1";
  c.ip = "127.0.0.1";
  c.ssh_user = "admin";
  c.ssh_key = "/etc/hostname";  // any readable file passes the pre-create check
  c.ssh_port = port;
  return c;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("the generic driver is rebuilt from its JSON through the factory", "[drivers][generic]") {
  auto c = config(2222);
  c.engine_port = 12376;
  GenericDriver driver(c);
  auto loaded = load_driver("generic", driver.to_json());
  CHECK(loaded->driver_name() == "generic");
  CHECK(loaded->machine_name() == "host1");
  CHECK(loaded->ssh_address() == "127.0.0.1");
  CHECK(loaded->ssh_port() == 2222);
  CHECK(loaded->ssh_user() == "admin");
  CHECK(loaded->engine_url() == "tcp://127.0.0.1:12376");
  CHECK(GenericDriver(config(22)).engine_url() == "tcp://127.0.0.1:2376");
  c.ip = "fd00::5";
  CHECK(GenericDriver(c).engine_url() == "tcp://[fd00::5]:12376");
  CHECK_THAT(error_of([] { load_driver("nosuch", Json::object()); }),
             Catch::Contains("libvirt, generic and none"));
}

TEST_CASE("generic pre-create check names the missing flag", "[drivers][generic]") {
  auto c = config(22);
  c.ip = "";
  CHECK_THAT(error_of([&] { GenericDriver(c).pre_create_check(); }),
             Catch::Contains("--generic-ip-address"));
  c = config(70000);
  CHECK_THAT(error_of([&] { GenericDriver(c).pre_create_check(); }),
             Catch::Contains("--generic-ssh-port 70000 is not a port"));
  c = config(22);
  c.ssh_key = "/nonexistent/id_rsa";
  CHECK_THAT(error_of([&] { GenericDriver(c).pre_create_check(); }),
             Catch::Contains("cannot read the SSH key /nonexistent/id_rsa"));
  c = config(22);
  c.name = "Bad_Name";
  CHECK_THROWS_AS(GenericDriver(c).pre_create_check(), InvalidArgument);
  CHECK_NOTHROW(GenericDriver(config(22)).pre_create_check());
}

TEST_CASE("a generic host is Running while its SSH server greets", "[drivers][generic]") {
  {
    Greeter ssh("SSH-2.0-dropbear_2022.83\r\n");
    GenericDriver driver(config(ssh.port));
    CHECK(driver.state() == MachineState::Running);
  }
  {
    Greeter http("HTTP/1.0 400 Bad Request\r\n\r\n");
    GenericDriver driver(config(http.port));
    CHECK(driver.state() == MachineState::Error);
  }
  GenericDriver nobody(config(closed_port()));
  CHECK(nobody.state() == MachineState::Error);
}

TEST_CASE("a generic host that does not answer: wait_ready times out, start says why",
          "[drivers][generic]") {
  GenericDriver driver(config(closed_port()));
  driver.probe_timeout = std::chrono::milliseconds(200);
  const std::string waited = error_of([&] { driver.wait_ready(std::chrono::milliseconds(300)); });
  CHECK_THAT(waited, Catch::StartsWith("SSH on 127.0.0.1:"));
  CHECK_THAT(waited, Catch::Contains("did not answer"));
  const std::string started = error_of([&] { driver.start(); });
  CHECK_THAT(started, Catch::Contains("berth cannot power it on"));
}

TEST_CASE("berth does not stop, restart or kill a host it does not own", "[drivers][generic]") {
  GenericDriver driver(config(22));
  for (auto op : {&GenericDriver::stop, &GenericDriver::restart, &GenericDriver::kill}) {
    try {
      (driver.*op)();
      FAIL("no error");
    } catch (const Unavailable& e) {
      CHECK_THAT(e.what(),
                 Catch::Contains("uses the generic driver (an existing host at 127.0.0.1)"));
    }
  }
  CHECK_NOTHROW(driver.remove());
}
