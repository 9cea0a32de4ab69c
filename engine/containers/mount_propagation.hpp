#pragma once
// A bind asked to propagate (shared, rshared, slave, rslave) propagates only if the host mount
// holding its source does. dockerd checks this when the container starts (ensureShared,
// ensureSharedOrSlave) and refuses, instead of handing the container a bind whose propagation does
// nothing; berthd does the same, in the same words.
#include <nlohmann/json.hpp>

namespace berth::engine {

// `mounts` is the OCI spec's mounts array. Throws InvalidArgument for the first bind that cannot
// propagate: "path /src is mounted on / but it is not a shared mount" (or "… shared or slave
// mount" for slave propagation).
void check_bind_propagation(const nlohmann::json& mounts);

}  // namespace berth::engine
