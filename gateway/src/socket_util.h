// Sockets: listening sockets that every worker binds to the same port (SO_REUSEPORT, the kernel
// spreads connections and UDP peers over them), and addresses as text for logs.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "pvm/vm.h"

namespace pvm::gateway {

// A non-blocking socket bound to HOST:PORT (TCP: listening); -1 with a reason on failure.
int bind_socket(const std::string& host, uint16_t port, Transport transport, bool reuse_port,
                std::string& error);
// The port a socket is bound to (what port 0 became).
uint16_t local_port(int fd);
// "1.2.3.4:5678" or "[::1]:5678"; an IPv4 device on an IPv6 socket reads as IPv4. Made in
// place, IPv4 without the C library's formatting: a loaded gateway makes one per frame, and
// inet_ntop's sprintf and a string on the heap were 1% of its CPU.
class AddressText {
 public:
  explicit AddressText(const sockaddr_storage& addr);
  std::string_view view() const { return {text_, size_}; }

 private:
  char text_[INET6_ADDRSTRLEN + 8];  // "[" host "]:65535"; the constructor writes what view() shows
  size_t size_ = 0;
};
// The same, as a string for a log line.
std::string address_text(const sockaddr_storage& addr);

}  // namespace pvm::gateway
