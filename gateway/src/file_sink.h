// JSON lines to standard output or to a file. A message is accepted once its line was written
// (and, with fsync on, synced), so a gateway killed at any moment has every ACKed line in the
// file: the kernel holds what write(2) returned for.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "sink.h"

namespace pvm::gateway {

// One output shared by every worker's FileSink.
struct SharedFile {
  int fd = -1;
  std::string name;   // "stdout" or the path, for logs
  std::string path;   // empty for stdout: never reopened
  bool sync = false;  // fdatasync after each batch (regular files only)
  // Held while one batch is written, so that lines of different workers never interleave
  // (a pipe splits writes larger than PIPE_BUF). Once per batch, not per message. Reopening
  // happens under it too, between two batches: a line lands in exactly one file.
  std::mutex mutex;
  // The file the descriptor was opened as: when the path names another one (logrotate renamed
  // it), the sink reopens the path before its next batch.
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t next_check_ms = 0;
  std::atomic<bool> reopen{false};  // SIGHUP: reopen before the next batch
};

class FileSink final : public Sink {
 public:
  FileSink(SharedFile& file, bool is_stdout, DeliveryListener& listener, size_t max_queue);

  std::string_view kind() const override { return is_stdout_ ? "stdout" : "jsonl"; }
  bool ready() const override { return !broken_ && tickets_.size() < max_queue_; }
  size_t queued() const override { return tickets_.size(); }
  void submit(const SinkRecord& record, Ticket ticket) override;
  void flush() override;
  void tick(int64_t now_ms) override;

 private:
  bool write_batch();

  SharedFile& file_;
  bool is_stdout_;
  DeliveryListener& listener_;
  size_t max_queue_;
  std::string batch_;
  size_t written_ = 0;  // bytes of batch_ already written (a write that failed part-way)
  std::vector<Ticket> tickets_;
  bool broken_ = false;
  int64_t next_retry_ms_ = 0;
};

// Opens `path` for appending (created 0644); -1 with a reason on failure.
int open_append(const std::string& path, std::string& error);
// Opens file.path and records which file it is; false with a reason on failure.
bool open_shared(SharedFile& file, std::string& error);
// Called with file.mutex held before a batch: reopens the path after SIGHUP, or when at most
// once per kFileCheckMillis a stat says the path names another file or none.
void reopen_if_rotated(SharedFile& file, int64_t now_ms);

}  // namespace pvm::gateway
