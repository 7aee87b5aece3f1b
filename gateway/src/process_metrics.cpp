#include "process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace pvm::gateway {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  char line[256];
  std::snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name, type, name,
                value);
  out += line;
}

// Entries in /proc/self/fd, less the one opendir holds while counting.
long open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  long n = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n - 1;
}

}  // namespace

void append_process_metrics(std::string& out, double start_time) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  metric(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
         cpu);
  // Counted first, while no file of ours is open.
  const long fds = open_fds();
  // statm: total and resident sizes in pages.
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0, pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", pages_total * page);
    metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
           pages_resident * page);
  }
  if (fds >= 0)
    metric(out, "process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           static_cast<double>(limit.rlim_cur));
  metric(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
         start_time);
}

}  // namespace pvm::gateway
