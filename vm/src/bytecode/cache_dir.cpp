#include "pvm/bytecode/cache_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace pvm::bc {
namespace {

// Whether a file or directory this process would use what it reads from is safe to trust: this
// user's, writable by no one else.
bool trusted(const struct stat& st) {
  return st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

bool CacheDir::open(std::string& why) const {
  std::error_code ec;
  const std::filesystem::path dir(dir_);
  if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    why = dir_ + ": " + errno_text();
    return false;
  }
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) {
    why = dir_ + ": " + errno_text();
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    why = dir_ + " is not a directory";
    return false;
  }
  if (!trusted(st)) {
    why = dir_ + " is not this user's or others can write to it";
    return false;
  }
  return true;
}

std::optional<std::string> CacheDir::load(const std::string& name) const {
  const int fd = ::open(path(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string bytes;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && trusted(st) &&
            static_cast<uint64_t>(st.st_size) <= max_bytes_;
  if (ok) {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < bytes.size()) {
      const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    ok = got == bytes.size();
  }
  if (ok) ::futimens(fd, nullptr);  // used now: eviction keeps it longer
  ::close(fd);
  if (!ok) return std::nullopt;
  return bytes;
}

bool CacheDir::store(const std::string& name, std::string_view bytes, std::string& why) const {
  std::string temp = dir_ + "/.new-XXXXXX";
  const int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) {
    why = dir_ + ": " + errno_text();
    return false;
  }
  size_t put = 0;
  while (put < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + put, bytes.size() - put);
    if (n <= 0) break;
    put += static_cast<size_t>(n);
  }
  std::string failed;
  if (put != bytes.size()) failed = temp + ": " + errno_text();
  if (::close(fd) != 0 && failed.empty()) failed = temp + ": " + errno_text();
  if (failed.empty() && ::rename(temp.c_str(), path(name).c_str()) != 0)
    failed = path(name) + ": " + errno_text();
  if (!failed.empty()) {
    ::unlink(temp.c_str());
    why = failed;
    return false;
  }
  evict();
  return true;
}

void CacheDir::evict() const {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return;
  std::vector<std::pair<timespec, std::string>> files;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (!name.ends_with(extension_)) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) files.emplace_back(st.st_mtim, name);
  }
  ::closedir(d);
  if (files.size() <= max_files_) return;
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.first.tv_sec != b.first.tv_sec ? a.first.tv_sec < b.first.tv_sec
                                            : a.first.tv_nsec < b.first.tv_nsec;
  });
  for (size_t k = 0; k + max_files_ < files.size(); ++k) ::unlink((dir_ + "/" + files[k].second).c_str());
}

}  // namespace pvm::bc
