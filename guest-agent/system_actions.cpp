#include "guest-agent/system_actions.hpp"

#include <fcntl.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "guest-agent/agent_protocol.hpp"

namespace berth::agent {

ShutdownMode parse_shutdown_mode(const std::string& name) {
  if (name == "powerdown") return ShutdownMode::Powerdown;
  if (name == "reboot") return ShutdownMode::Reboot;
  if (name == "halt") return ShutdownMode::Halt;
  throw CommandError("GenericError", "Parameter 'mode' does not accept value '" + name +
                                         "' (expected 'powerdown', 'reboot' or 'halt')");
}

const char* shutdown_mode_name(ShutdownMode mode) {
  switch (mode) {
    case ShutdownMode::Powerdown:
      return "powerdown";
    case ShutdownMode::Reboot:
      return "reboot";
    case ShutdownMode::Halt:
      return "halt";
  }
  return "powerdown";
}

void HostSystemActions::shutdown(ShutdownMode mode) {
  const char* name = shutdown_mode_name(mode);
  log::info("shutting the machine down", {{"mode", name}, {"program", shutdown_program_}});
  ::execl(shutdown_program_.c_str(), shutdown_program_.c_str(), name, static_cast<char*>(nullptr));
  // Without the script the disk is still flushed, and the machine still goes down as asked.
  log::error("exec of the shutdown program failed; powering off directly",
             {{"program", shutdown_program_}});
  ::sync();
  ::reboot(mode == ShutdownMode::Reboot ? RB_AUTOBOOT
           : mode == ShutdownMode::Halt ? RB_HALT_SYSTEM
                                        : RB_POWER_OFF);
  ::_exit(1);
}

void HostSystemActions::set_time(std::optional<std::int64_t> ns) {
  UniqueFd rtc(::open(rtc_device_.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(*ns / 1'000'000'000);
    tv.tv_usec = static_cast<suseconds_t>((*ns % 1'000'000'000) / 1000);
    if (::settimeofday(&tv, nullptr) != 0) throw_errno("settimeofday");
    // Saving to the RTC keeps the corrected time across a reboot; a guest without one still has
    // the right system time, so that is not an error.
    if (!rtc) return;
    tm utc{};
    ::gmtime_r(&tv.tv_sec, &utc);
    rtc_time rt{};
    rt.tm_sec = utc.tm_sec;
    rt.tm_min = utc.tm_min;
    rt.tm_hour = utc.tm_hour;
    rt.tm_mday = utc.tm_mday;
    rt.tm_mon = utc.tm_mon;
    rt.tm_year = utc.tm_year;
    if (::ioctl(rtc.get(), RTC_SET_TIME, &rt) != 0) {
      log::warn("could not save the time to the RTC", {{"device", rtc_device_}});
    }
    return;
  }
  if (!rtc) throw_errno("opening " + rtc_device_);
  rtc_time rt{};
  if (::ioctl(rtc.get(), RTC_RD_TIME, &rt) != 0) throw_errno("reading " + rtc_device_);
  tm utc{};
  utc.tm_sec = rt.tm_sec;
  utc.tm_min = rt.tm_min;
  utc.tm_hour = rt.tm_hour;
  utc.tm_mday = rt.tm_mday;
  utc.tm_mon = rt.tm_mon;
  utc.tm_year = rt.tm_year;
  timeval tv{};
  tv.tv_sec = ::timegm(&utc);  // the RTC keeps UTC (QEMU's default -rtc base=utc)
  if (::settimeofday(&tv, nullptr) != 0) throw_errno("settimeofday");
}

}  // namespace berth::agent
