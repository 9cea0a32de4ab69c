#pragma once
// RAII owners for libvirt C handles and strings, and the translation of libvirt's thread-local last
// error into berth's error hierarchy. Only the real hypervisor (libvirt_*.cpp) includes this.
// Every public libvirt call resets the last error, virDomainFree & co. included: read the error
// (throw_last_error) while the handle of the failed call is still alive.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace berth::drivers::libvirt {

using ConnectPtr = std::unique_ptr<virConnect, decltype(&virConnectClose)>;
using DomainPtr = std::unique_ptr<virDomain, decltype(&virDomainFree)>;
using PoolPtr = std::unique_ptr<virStoragePool, decltype(&virStoragePoolFree)>;
using VolumePtr = std::unique_ptr<virStorageVol, decltype(&virStorageVolFree)>;
using NetworkPtr = std::unique_ptr<virNetwork, decltype(&virNetworkFree)>;
using StreamPtr = std::unique_ptr<virStream, decltype(&virStreamFree)>;

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};
// Strings libvirt returns for the caller to free().
using CString = std::unique_ptr<char, FreeDeleter>;

// The code of the last libvirt error on this thread (VIR_ERR_OK when none).
int last_error_code();

// Throws the berth error matching the last libvirt error on this thread: "<what>: <libvirt
// message>".
[[noreturn]] void throw_last_error(const std::string& what);
// The same for an error saved with virSaveLastError().
[[noreturn]] void throw_error(const virError* err, const std::string& what);

// Stops libvirt from printing every error to stderr itself; berth reports them. Idempotent.
void silence_default_error_printing();

}  // namespace berth::drivers::libvirt
