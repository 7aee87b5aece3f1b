// The process_* metrics every Prometheus client library exports, read from /proc: dashboards
// and alerts written for other services work on the gateway unchanged.
#pragma once

#include <string>

namespace pvm::gateway {

// Appends process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds and
// process_start_time_seconds (`start_time`, Unix seconds).
void append_process_metrics(std::string& out, double start_time);

}  // namespace pvm::gateway
