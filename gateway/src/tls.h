// TLS for device connections (PROTOCOL@tls://HOST:PORT), with OpenSSL. One context holds the
// gateway's certificate and key and is shared by every worker; each connection has a TlsStream
// over its non-blocking socket, driven by the worker's epoll loop like a plain one: nothing
// here blocks, a read or write that cannot go on says which readiness it waits for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace pvm::gateway {

using TlsContext = std::shared_ptr<ssl_ctx_st>;

// A server context from a PEM certificate chain and its private key (TLS 1.2 and later); null
// with a reason naming the file on failure.
TlsContext make_tls_context(const std::string& cert_file, const std::string& key_file, std::string& error);

class TlsStream {
 public:
  enum class Io : uint8_t {
    Ok,         // `n` bytes moved
    WantRead,   // wait until the socket is readable, then call again
    WantWrite,  // wait until the socket is writable, then call again
    Closed,     // the peer closed the connection (close_notify, or EOF)
    Failed,     // a handshake or protocol error: error() says which
  };

  TlsStream(const TlsContext& context, int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // The handshake runs inside the first reads.
  Io read(uint8_t* data, size_t size, size_t& n);
  // Writes part of `data` (a later call must pass the rest, possibly from another address).
  Io write(const uint8_t* data, size_t size, size_t& n);
  bool handshake_done() const;
  // Decrypted bytes held in the stream that epoll cannot announce.
  bool pending() const;
  const std::string& error() const { return error_; }
  // Sends close_notify if the socket takes it at once; never waits.
  void shutdown();

 private:
  Io result(int rc, size_t& n);

  TlsContext context_;  // keeps the context alive after a reload replaced it
  ssl_st* ssl_ = nullptr;
  std::string error_;
};

}  // namespace pvm::gateway
