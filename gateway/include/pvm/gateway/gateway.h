// The gateway runtime behind `pvm serve`: listeners, per-thread event loops, sinks, /metrics.
// It depends on the VM's embedding API only; the host supplies the programs.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "pvm/gateway/config.h"
#include "pvm/vm.h"

namespace pvm::gateway {

// Loads a listener's protocol: a stdlib name or a .pvm/.pvmc path (relative to `base_dir`), for
// the engine `options` names. Called at start-up and on SIGHUP; null with a reason on failure.
// Sets `cache_note` when the cache of compiled modules the configuration names (module_cache)
// could not be used, once: the log says why.
using ProgramLoader = std::function<std::shared_ptr<const Program>(
    const std::string& protocol, const std::string& base_dir, const LoadOptions& options,
    std::string& cache_note, std::string& error)>;

// Exit statuses of serve().
inline constexpr int kServeOk = 0;      // stopped by SIGTERM or SIGINT after draining
inline constexpr int kServeFailed = 1;  // the runtime failed
inline constexpr int kServeConfig =
    2;  // the configuration cannot run (a port taken, a protocol that does not load)

// Reads the certificate files the configuration names: the MQTT client's must be readable, the
// TLS listeners' certificate and key must load and match. False with a reason naming the file.
bool check_certificates(const GatewayConfig& config, std::string& error);

// Runs until SIGTERM or SIGINT: then stops accepting, waits (up to the drain timeout) for the
// sinks to accept what was read and for the ACKs to go out, and returns. SIGHUP reloads the
// protocols without closing connections. Logs go to standard error as JSON lines.
int serve(const GatewayConfig& config, const ProgramLoader& loader);

}  // namespace pvm::gateway
