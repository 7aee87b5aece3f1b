#include "spooled_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "event_loop.h"
#include "log.h"
#include "pvm/gateway/limits.h"
#include "spool_format.h"

namespace pvm::gateway {
namespace {

constexpr int64_t kRetryMillis = 1000;

uint64_t segment_id(const std::string& path) {
  return std::strtoull(std::filesystem::path(path).stem().c_str(), nullptr, 10);
}

// A new file's name is durable only once its directory is synced.
void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

SpooledSink::SpooledSink(EventLoop& loop, const SinkSpec& spec, const MqttOptions& options,
                         std::string client_id, DeliveryListener& listener, size_t max_queue,
                         MqttSink::CommandHandler on_command, SpoolSetup setup)
    : listener_(listener), setup_(std::move(setup)), options_(options) {
  inner_ = std::make_unique<MqttSink>(loop, spec, options, std::move(client_id), *this, max_queue,
                                      std::move(on_command));
  for (const auto& path : setup_.replay) adopt(path);
}

SpooledSink::~SpooledSink() {
  for (auto& s : segments_)
    if (s->fd >= 0) ::close(s->fd);
}

void SpooledSink::adopt(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    LogLine(Level::Error, "spool segment unreadable").str("path", path).str("error", std::strerror(errno));
    return;
  }
  // Count the whole records; a torn one at the end was never acknowledged to a device.
  uint64_t pos = 0, records = 0, buffered_at = 0;
  std::string buf;
  while (true) {
    std::string_view topic, payload;
    size_t size = 0;
    const SpoolRead r =
        parse_spool_record(std::string_view(buf).substr(pos - buffered_at), topic, payload, size);
    if (r == SpoolRead::Record) {
      pos += size;
      ++records;
      continue;
    }
    if (r == SpoolRead::Corrupt) break;
    buf.erase(0, pos - buffered_at);
    buffered_at = pos;
    const size_t have = buf.size();
    buf.resize(std::max(size, kSpoolReadChunk));
    const ssize_t n =
        ::pread(fd, buf.data() + have, buf.size() - have, static_cast<off_t>(buffered_at + have));
    buf.resize(have + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n <= 0) break;
  }
  if (records == 0) {
    ::close(fd);
    ::unlink(path.c_str());
    return;
  }
  auto s = std::make_unique<Segment>();
  s->id = segment_id(path);
  s->path = path;
  s->fd = fd;
  s->size = pos;
  s->records = records;
  bytes_ += pos;
  LogLine(Level::Info, "spool replay").str("path", path).num("records", static_cast<int64_t>(records));
  segments_.push_back(std::move(s));
}

bool SpooledSink::open_segment() {
  const uint64_t id = setup_.next_id->fetch_add(1);
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.spool", static_cast<unsigned long long>(id));
  const std::string path = (std::filesystem::path(setup_.dir) / name).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    LogLine(Level::Error, "spool segment not created").str("path", path).str("error", std::strerror(errno));
    return false;
  }
  sync_directory(setup_.dir);
  auto s = std::make_unique<Segment>();
  s->id = id;
  s->path = path;
  s->fd = fd;
  s->active = true;
  segments_.push_back(std::move(s));
  return true;
}

void SpooledSink::submit(const SinkRecord& record, Ticket ticket) {
  topic_.clear();
  append_topic(topic_, options_.topic, record.protocol, record.ident);
  if (!append_spool_record(batch_, topic_, record.json)) {
    LogLine(Level::Error, "message too large for the spool").str("topic", topic_);
    listener_.failed(ticket);
    return;
  }
  tickets_.push_back(ticket);
  if (!broken_ && batch_.size() - written_ >= kFileSinkBatch) flush();
}

bool SpooledSink::write_batch() {
  if ((segments_.empty() || !segments_.back()->active) && !open_segment()) return false;
  Segment& s = *segments_.back();
  while (written_ < batch_.size()) {
    const ssize_t n = ::write(s.fd, batch_.data() + written_, batch_.size() - written_);
    if (n > 0) {
      written_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      LogLine(Level::Error, "spool write failed")
          .str("path", s.path)
          .str("error", std::strerror(n < 0 ? errno : ENOSPC));
      return false;
    }
  }
  if (::fdatasync(s.fd) != 0) {
    LogLine(Level::Error, "spool sync failed").str("path", s.path).str("error", std::strerror(errno));
    return false;
  }
  s.size += batch_.size();
  s.records += tickets_.size();
  bytes_ += batch_.size();
  if (s.size >= kSpoolSegmentBytes) s.active = false;  // the next batch starts a new segment
  return true;
}

void SpooledSink::flush() {
  if (!tickets_.empty() && !broken_) {
    if (write_batch()) {
      batch_.clear();
      written_ = 0;
      std::vector<Ticket> done;
      done.swap(tickets_);
      listener_.accepted(done);
    } else {
      broken_ = true;
      next_retry_ms_ = now_ms() + kRetryMillis;
    }
  }
  pump();
  inner_->flush();
}

void SpooledSink::tick(int64_t now) {
  if (broken_ && now >= next_retry_ms_) {
    broken_ = false;
    flush();
  }
  inner_->tick(now);
}

void SpooledSink::pump() {
  while (inner_->ready()) {
    Segment* s = nullptr;
    for (auto& seg : segments_)
      if (seg->read < seg->size) {
        s = seg.get();
        break;
      }
    if (s == nullptr) return;
    if (chunk_segment_ != s->id || s->read < chunk_offset_ || s->read > chunk_offset_ + chunk_.size()) {
      chunk_.clear();
      chunk_segment_ = s->id;
      chunk_offset_ = s->read;
    }
    std::string_view topic, payload;
    size_t size = 0;
    const SpoolRead r =
        parse_spool_record(std::string_view(chunk_).substr(s->read - chunk_offset_), topic, payload, size);
    if (r == SpoolRead::Record) {
      topic_.assign(topic);
      s->read += size;
      ++s->published;
      inner_->publish(topic_, payload, Ticket{s->id, 0});
      continue;
    }
    const uint64_t left = s->size - s->read;
    if (r == SpoolRead::NeedMore && size <= left) {
      chunk_.erase(0, s->read - chunk_offset_);
      chunk_offset_ = s->read;
      const size_t have = chunk_.size();
      chunk_.resize(static_cast<size_t>(std::min<uint64_t>(std::max(size, kSpoolReadChunk), left)));
      const ssize_t n =
          ::pread(s->fd, chunk_.data() + have, chunk_.size() - have, static_cast<off_t>(s->read + have));
      chunk_.resize(have + static_cast<size_t>(std::max<ssize_t>(n, 0)));
      if (n > 0) continue;
    }
    // What was synced no longer reads back: keep what was published and give up the rest.
    LogLine(Level::Error, "spool segment damaged")
        .str("path", s->path)
        .num("offset", static_cast<int64_t>(s->read));
    bytes_ -= left;
    s->size = s->read;
    s->records = s->published;
    settle(s->id);
  }
}

void SpooledSink::accepted(std::span<const Ticket> tickets) {
  for (const Ticket& ticket : tickets) {
    if (Segment* s = find(ticket.endpoint)) {
      ++s->acked;
      settle(s->id);
    }
  }
}

// A message the broker refuses for good (the MQTT sink logged why) cannot be kept forever.
void SpooledSink::failed(Ticket ticket) {
  accepted({&ticket, 1});
}

void SpooledSink::settle(uint64_t id) {
  Segment* s = find(id);
  if (s == nullptr || s->acked < s->records || s->read < s->size) return;
  if (s->active) {
    // All published: start the file over rather than keep old records to replay after a crash.
    if (written_ != 0 || s->size == 0) return;  // part of a batch is in the file already
    if (::ftruncate(s->fd, 0) != 0) return;
    bytes_ -= s->size;
    s->size = s->read = s->published = s->records = s->acked = 0;
    chunk_.clear();
    chunk_offset_ = 0;
    return;
  }
  ::close(s->fd);
  ::unlink(s->path.c_str());
  bytes_ -= s->size;
  if (chunk_segment_ == id) chunk_.clear();
  segments_.erase(
      std::find_if(segments_.begin(), segments_.end(), [&](const auto& p) { return p.get() == s; }));
}

SpooledSink::Segment* SpooledSink::find(uint64_t id) {
  for (auto& s : segments_)
    if (s->id == id) return s.get();
  return nullptr;
}

void SpooledSink::shutdown() {
  inner_->shutdown();
  if (!segments_.empty() && segments_.back()->active && segments_.back()->size == 0 && written_ == 0) {
    ::close(segments_.back()->fd);
    ::unlink(segments_.back()->path.c_str());
    segments_.pop_back();
  }
}

}  // namespace pvm::gateway
