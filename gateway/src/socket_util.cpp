#include "socket_util.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "pvm/gateway/limits.h"

namespace pvm::gateway {

int bind_socket(const std::string& host, uint16_t port, Transport transport, bool reuse_port,
                std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = transport == Transport::Tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    error = host + ": " + gai_strerror(rc);
    return -1;
  }
  const std::string where = (transport == Transport::Tcp ? "tcp://" : "udp://") + host + ":" + service;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = where + ": socket: " + std::strerror(errno);
    freeaddrinfo(found);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const bool ok = ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                  (transport == Transport::Udp || ::listen(fd, kListenBacklog) == 0);
  freeaddrinfo(found);
  if (!ok) {
    error = where + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

namespace {

// Dotted decimal of the four bytes at `b`, then ':' and the port.
char* put_ipv4(char* p, const uint8_t* b, uint16_t port) {
  for (int k = 0; k < 4; ++k) {
    if (k > 0) *p++ = '.';
    p = std::to_chars(p, p + 3, b[k]).ptr;
  }
  *p++ = ':';
  return std::to_chars(p, p + 5, port).ptr;
}

}  // namespace

AddressText::AddressText(const sockaddr_storage& addr) {
  char* p = text_;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    p = put_ipv4(p, reinterpret_cast<const uint8_t*>(&a->sin_addr), ntohs(a->sin_port));
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      p = put_ipv4(p, &a->sin6_addr.s6_addr[12], ntohs(a->sin6_port));
    } else {
      *p++ = '[';
      if (inet_ntop(AF_INET6, &a->sin6_addr, p, INET6_ADDRSTRLEN) == nullptr) *p = '\0';
      p += std::strlen(p);
      *p++ = ']';
      *p++ = ':';
      p = std::to_chars(p, p + 5, ntohs(a->sin6_port)).ptr;
    }
  } else {
    *p++ = '?';
  }
  size_ = static_cast<size_t>(p - text_);
}

std::string address_text(const sockaddr_storage& addr) {
  return std::string(AddressText(addr).view());
}

}  // namespace pvm::gateway
