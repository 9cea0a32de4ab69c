#pragma once
// What the agent does to the machine itself: power it off, set its clock. Behind an interface so
// the protocol tests exercise guest-shutdown and guest-set-time without touching the test host.
#include <cstdint>
#include <optional>
#include <string>

namespace berth::agent {

enum class ShutdownMode { Powerdown, Reboot, Halt };

// "powerdown" / "reboot" / "halt"; anything else throws CommandError like qemu-ga.
ShutdownMode parse_shutdown_mode(const std::string& name);
const char* shutdown_mode_name(ShutdownMode mode);

class SystemActions {
 public:
  virtual ~SystemActions() = default;
  // Ends the machine; the real implementation does not return.
  virtual void shutdown(ShutdownMode mode) = 0;
  // With `ns` (since the epoch): sets the system clock and saves it in the RTC. Without: reloads
  // the system clock from the RTC (libvirt's "sync" after the host resumed from sleep).
  virtual void set_time(std::optional<std::int64_t> ns) = 0;
};

// The guest's own clock and power.
class HostSystemActions : public SystemActions {
 public:
  // `shutdown_program` (the image's /sbin/berth-shutdown) is exec'd with the mode name; it kills
  // what is left, unmounts the data disk and powers off.
  explicit HostSystemActions(std::string shutdown_program, std::string rtc_device = "/dev/rtc0")
      : shutdown_program_(std::move(shutdown_program)), rtc_device_(std::move(rtc_device)) {}
  [[noreturn]] void shutdown(ShutdownMode mode) override;
  void set_time(std::optional<std::int64_t> ns) override;

 private:
  std::string shutdown_program_;
  std::string rtc_device_;
};

}  // namespace berth::agent
