#pragma once
// A berth command line wired to fakes: a "fake" driver whose VMs live in a map the test can poke
// (delete a VM behind berth's back, change its IP), a provisioner that records calls, and captured
// stdout/stderr. Everything else (store, certificates, SSH keys, CLI11 parsing) is the real code.
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_context.hpp"
#include "cli/machine_module.hpp"
#include "common/error.hpp"
#include "drivers/factory.hpp"
#include "drivers/none/none_driver.hpp"

namespace berth::testing {

struct FakeVm {
  drivers::MachineState state = drivers::MachineState::Stopped;
  std::string ip = "192.0.2.10";
};

// Shared by every FakeDriver a test's commands build: the stand-in for libvirt.
struct FakeWorld {
  std::mutex mutex;
  std::map<std::string, FakeVm> vms;
  int provision_calls = 0;
  std::vector<std::string> provisioned_ips;
  std::vector<std::vector<std::string>> processes;  // argv of every ssh/scp run
  bool fail_create = false;
  bool fail_provision = false;
};

class FakeDriver : public drivers::Driver {
 public:
  FakeDriver(FakeWorld& world, std::string name) : world_(world), name_(std::move(name)) {}

  std::string driver_name() const override { return "fake"; }
  std::string machine_name() const override { return name_; }
  void pre_create_check() override {}
  void create() override {
    std::lock_guard lock(world_.mutex);
    if (world_.fail_create) throw Error("fake hypervisor refused to create " + name_);
    world_.vms[name_].state = drivers::MachineState::Running;
  }
  void start() override { set(drivers::MachineState::Running); }
  void stop() override { set(drivers::MachineState::Stopped); }
  void restart() override { set(drivers::MachineState::Running); }
  void kill() override { set(drivers::MachineState::Stopped); }
  void remove() override {
    std::lock_guard lock(world_.mutex);
    world_.vms.erase(name_);
  }
  drivers::MachineState state() override { return vm().state; }
  void wait_ready(std::chrono::milliseconds) override {}
  std::string ip() override { return vm().ip; }
  std::string ssh_address() override { return vm().ip; }
  int ssh_port() override { return 22; }
  std::string engine_url() override { return "tcp://" + vm().ip + ":2376"; }
  Json to_json() const override { return Json{{"name", name_}}; }

 private:
  FakeVm vm() {
    std::lock_guard lock(world_.mutex);
    auto it = world_.vms.find(name_);
    if (it == world_.vms.end()) throw NotFound("domain " + name_ + " does not exist in libvirt");
    return it->second;
  }
  void set(drivers::MachineState state) {
    std::lock_guard lock(world_.mutex);
    auto it = world_.vms.find(name_);
    if (it == world_.vms.end()) throw NotFound("domain " + name_ + " does not exist in libvirt");
    it->second.state = state;
  }

  FakeWorld& world_;
  std::string name_;
};

class FakeProvisioner : public machine::Provisioner {
 public:
  explicit FakeProvisioner(FakeWorld& world) : world_(world) {}
  machine::ProvisionResult provision(const machine::ProvisionRequest& request,
                                     const machine::ProgressFn& progress) override {
    progress("Copying certificates");
    std::lock_guard lock(world_.mutex);
    if (world_.fail_provision) throw Error("fake provisioner: SSH connection refused");
    ++world_.provision_calls;
    world_.provisioned_ips.push_back(request.ssh.host);
    return {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKey", "Berth Linux", "v0.1.0"};
  }

 private:
  FakeWorld& world_;
};

struct CliResult {
  int code = 0;
  std::string out;
  std::string err;
};

// One temporary store per test, removed at the end.
class CliHarness {
 public:
  CliHarness() {
    char pattern[] = "/tmp/berth-cli-test-XXXXXX";
    root_ = ::mkdtemp(pattern);
  }
  ~CliHarness() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  const std::string& root() const { return root_; }
  std::map<std::string, std::string> env;  // what the command sees as its environment
  std::string stdin_text;
  FakeWorld world;

  CliResult run(std::vector<std::string> args) {
    std::ostringstream out, err;
    std::istringstream in(stdin_text);
    cli::CliContext context;
    context.out = &out;
    context.err = &err;
    context.in = &in;
    context.getenv = [this](const std::string& key) -> std::optional<std::string> {
      auto it = env.find(key);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    auto loader = [this](const std::string& driver,
                         const Json& state) -> std::unique_ptr<drivers::Driver> {
      if (driver == "fake") return std::make_unique<FakeDriver>(world, get_string(state, "name"));
      return drivers::load_driver(driver, state);
    };
    context.load_driver = loader;
    context.make_driver =
        [this](const cli::CreateOptions& options,
               const drivers::MachineSpec& spec) -> std::unique_ptr<drivers::Driver> {
      if (options.driver == "fake") return std::make_unique<FakeDriver>(world, spec.name);
      if (options.driver == "none") {
        return std::make_unique<drivers::NoneDriver>(spec.name, options.none_url);
      }
      throw Unavailable("driver " + options.driver + " is not available in tests");
    };
    context.make_provisioner = [this] { return std::make_unique<FakeProvisioner>(world); };
    context.run_process = [this](const std::vector<std::string>& argv) {
      std::lock_guard lock(world.mutex);
      world.processes.push_back(argv);
      return 0;
    };
    context.engine_version = [](const std::string&, const std::string&, std::chrono::milliseconds) {
      return std::string("v0.1.0");
    };
    context.driver_names = {"fake", "none"};
    context.machine_module = []() -> const cli::MachineModule& {
      return cli::linked_machine_module();
    };
    context.bin_dir = "/nonexistent/bin";
    args.insert(args.begin(), {"machine", "--storage-path", root_});
    int code = cli::run_berth(args, context);
    return {code, out.str(), err.str()};
  }

 private:
  std::string root_;
};

}  // namespace berth::testing
