// pvm serve --check: the configuration pvm serve would run, checked without running it.
#pragma once

#include <iosfwd>
#include <string>

#include "pvm/gateway/config.h"
#include "pvm/gateway/gateway.h"

namespace pvm::cli {

// Validates `config`, loads every listener's protocol and the certificates, then
// writes a summary to `out`. False with a reason (one per line) in `error` otherwise.
bool check_serve_config(const gateway::GatewayConfig& config, const gateway::ProgramLoader& loader,
                        std::ostream& out, std::string& error);

}  // namespace pvm::cli
