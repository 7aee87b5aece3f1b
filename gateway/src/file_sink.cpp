#include "file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "event_loop.h"
#include "log.h"
#include "pvm/gateway/limits.h"

namespace pvm::gateway {
namespace {

constexpr int64_t kRetryMillis = 1000;

}  // namespace

int open_append(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) error = path + ": " + std::strerror(errno);
  return fd;
}

bool open_shared(SharedFile& file, std::string& error) {
  const int fd = open_append(file.path, error);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = file.path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  if (file.fd >= 0) ::close(file.fd);
  file.fd = fd;
  file.dev = st.st_dev;
  file.ino = st.st_ino;
  return true;
}

void reopen_if_rotated(SharedFile& file, int64_t now) {
  if (file.path.empty()) return;
  bool reopen = file.reopen.exchange(false);
  if (!reopen && now >= file.next_check_ms) {
    file.next_check_ms = now + kFileCheckMillis;
    struct stat st {};
    reopen = ::stat(file.path.c_str(), &st) != 0 || st.st_dev != file.dev || st.st_ino != file.ino;
  }
  if (!reopen) return;
  std::string error;
  if (open_shared(file, error)) {
    LogLine(Level::Info, "sink reopened").str("sink", file.name);
  } else {
    // Keep writing to the file still open: a message is not lost for want of a new file.
    LogLine(Level::Error, "sink reopen failed").str("sink", file.name).str("error", error);
  }
}

FileSink::FileSink(SharedFile& file, bool is_stdout, DeliveryListener& listener, size_t max_queue)
    : file_(file), is_stdout_(is_stdout), listener_(listener), max_queue_(max_queue) {}

void FileSink::submit(const SinkRecord& record, Ticket ticket) {
  batch_.append(record.json);
  batch_ += '\n';
  tickets_.push_back(ticket);
  if (!broken_ && batch_.size() - written_ >= kFileSinkBatch) flush();
}

bool FileSink::write_batch() {
  std::lock_guard lock(file_.mutex);
  reopen_if_rotated(file_, now_ms());
  while (written_ < batch_.size()) {
    const ssize_t n = ::write(file_.fd, batch_.data() + written_, batch_.size() - written_);
    if (n > 0) {
      written_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      const int err = n < 0 ? errno : ENOSPC;
      if (!broken_)
        LogLine(Level::Error, "sink write failed").str("sink", file_.name).str("error", std::strerror(err));
      return false;
    }
  }
  if (file_.sync && ::fdatasync(file_.fd) != 0) {
    if (!broken_)
      LogLine(Level::Error, "sink sync failed").str("sink", file_.name).str("error", std::strerror(errno));
    return false;
  }
  return true;
}

void FileSink::flush() {
  if (tickets_.empty() || broken_) return;
  if (!write_batch()) {
    broken_ = true;
    next_retry_ms_ = now_ms() + kRetryMillis;
    return;
  }
  batch_.clear();
  written_ = 0;
  std::vector<Ticket> done;
  done.swap(tickets_);
  listener_.accepted(done);
  done.clear();
  if (tickets_.empty()) tickets_.swap(done);  // keeps the capacity for the next batch
}

void FileSink::tick(int64_t now) {
  if (!broken_ || now < next_retry_ms_) return;
  broken_ = false;
  flush();
  if (!broken_) LogLine(Level::Info, "sink recovered").str("sink", file_.name);
}

}  // namespace pvm::gateway
