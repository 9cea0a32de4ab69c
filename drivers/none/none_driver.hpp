#pragma once
// A machine that is only an engine URL the user already runs (Docker Machine's "none" driver):
// berth records where the engine is and talks to it, but cannot start, stop or reach it over SSH.
#include <string>

#include "drivers/driver.hpp"

namespace berth::drivers {

class NoneDriver : public Driver {
 public:
  // `engine_url` is tcp://HOST:PORT; anything else throws InvalidArgument.
  NoneDriver(std::string machine_name, std::string engine_url);
  static NoneDriver from_json(const Json& state);

  std::string driver_name() const override { return "none"; }
  std::string machine_name() const override { return name_; }

  void pre_create_check() override;
  void create() override {}  // nothing to make: the engine exists already
  void start() override;
  void stop() override;
  void restart() override;
  void kill() override;
  void remove() override {}  // forgetting the machine is the manager's part

  MachineState state() override { return MachineState::Running; }
  void wait_ready(std::chrono::milliseconds) override {}

  std::string ip() override { return host_; }
  std::string ssh_address() override;
  int ssh_port() override;
  std::string engine_url() override { return url_; }

  Json to_json() const override;

 private:
  [[noreturn]] void unsupported(const std::string& what) const;

  std::string name_;
  std::string url_;
  std::string host_;
};

}  // namespace berth::drivers
