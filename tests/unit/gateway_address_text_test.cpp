// Peer addresses as the gateway writes them into messages and logs.
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <cstring>

#include "socket_util.h"

using pvm::gateway::address_text;
using pvm::gateway::AddressText;

namespace {

// The socket address of `host` (IPv4 or IPv6 text) and `port`, as accept() fills it in.
sockaddr_storage address(const char* host, uint16_t port) {
  sockaddr_storage s{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&s);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return s;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&s);
  REQUIRE(inet_pton(AF_INET6, host, &v6->sin6_addr) == 1);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  return s;
}

}  // namespace

TEST_CASE("address text: IPv4 as dotted decimal and port, every width of octet and port") {
  CHECK(AddressText(address("10.0.0.7", 40112)).view() == "10.0.0.7:40112");
  CHECK(AddressText(address("0.0.0.0", 0)).view() == "0.0.0.0:0");
  CHECK(AddressText(address("255.255.255.255", 65535)).view() == "255.255.255.255:65535");
  CHECK(AddressText(address("192.168.100.9", 80)).view() == "192.168.100.9:80");
  CHECK(address_text(address("127.0.0.1", 5027)) == "127.0.0.1:5027");
}

TEST_CASE("address text: IPv6 in brackets; an IPv4 device on an IPv6 socket reads as IPv4") {
  CHECK(AddressText(address("::1", 5027)).view() == "[::1]:5027");
  CHECK(AddressText(address("2001:db8::7", 40112)).view() == "[2001:db8::7]:40112");
  CHECK(AddressText(address("::ffff:203.0.113.9", 65535)).view() == "203.0.113.9:65535");
  // The longest text an IPv6 address has, with the longest port.
  CHECK(AddressText(address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535)).view() ==
        "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  CHECK(AddressText(address("1111:2222:3333:4444:5555:6666:255.255.255.255", 65535)).view() ==
        "[1111:2222:3333:4444:5555:6666:ffff:ffff]:65535");
}

TEST_CASE("address text: another family is a question mark") {
  sockaddr_storage s{};
  s.ss_family = AF_UNIX;
  CHECK(AddressText(s).view() == "?");
  CHECK(address_text(s) == "?");
}
