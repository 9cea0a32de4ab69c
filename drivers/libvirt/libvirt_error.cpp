#include <mutex>

#include "common/error.hpp"
#include "drivers/libvirt/libvirt_handles.hpp"

namespace berth::drivers::libvirt {

int last_error_code() {
  virErrorPtr err = virGetLastError();
  return err ? err->code : VIR_ERR_OK;
}

void throw_last_error(const std::string& what) {
  throw_error(virGetLastError(), what);
}

void throw_error(const virError* err, const std::string& what) {
  std::string message =
      what + ": " + (err && err->message ? err->message : "unknown libvirt error");
  int code = err ? err->code : VIR_ERR_OK;
  switch (code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_DOMAIN_METADATA:
      throw NotFound(message);
    case VIR_ERR_OPERATION_INVALID:
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_STORAGE_VOL_EXIST:
      throw Conflict(message);
    case VIR_ERR_OPERATION_TIMEOUT:
      throw Timeout(message);
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_AGENT_UNSYNCED:
    case VIR_ERR_NO_CONNECT:
      throw Unavailable(message);
    default:
      throw Error(message);
  }
}

void silence_default_error_printing() {
  static std::once_flag once;
  std::call_once(once, [] { virSetErrorFunc(nullptr, [](void*, virErrorPtr) {}); });
}

}  // namespace berth::drivers::libvirt
