#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>

namespace pvm::gateway {
namespace {

// The first error in OpenSSL's per-thread queue, which is emptied.
std::string openssl_error(std::string_view fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return std::string(fallback);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

TlsContext make_tls_context(const std::string& cert_file, const std::string& key_file, std::string& error) {
  ERR_clear_error();
  TlsContext ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) {
    error = "TLS: " + openssl_error("cannot create a context");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // No renegotiation (a device could make the gateway redo handshakes at will); an EOF without
  // close_notify is an ordinary end of a device's connection, not an error.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Idle connections give their buffers back; a write that returned "want write" is retried
  // from the worker's unsent buffer, which may have moved.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    error = cert_file + ": " + openssl_error("not a PEM certificate");
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = key_file + ": " + openssl_error("not a PEM private key");
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    error = key_file + ": the key does not match the certificate in " + cert_file;
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

TlsStream::TlsStream(const TlsContext& context, int fd) : context_(context), ssl_(SSL_new(context.get())) {
  if (ssl_ == nullptr) return;
  SSL_set_fd(ssl_, fd);  // a socket BIO that does not close the descriptor: the worker owns it
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsStream::Io TlsStream::result(int rc, size_t& n) {
  if (rc > 0) {
    n = static_cast<size_t>(rc);
    return Io::Ok;
  }
  n = 0;
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      return Io::WantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::WantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::Closed;
    case SSL_ERROR_SYSCALL:
      if (saved_errno == EAGAIN || saved_errno == EINTR) return Io::WantRead;
      error_ = saved_errno ? std::strerror(saved_errno) : "connection closed";
      ERR_clear_error();
      return saved_errno ? Io::Failed : Io::Closed;
    default:
      error_ = openssl_error("TLS error");
      return Io::Failed;
  }
}

TlsStream::Io TlsStream::read(uint8_t* data, size_t size, size_t& n) {
  if (ssl_ == nullptr) {
    error_ = "no memory for a TLS session";
    return Io::Failed;
  }
  ERR_clear_error();
  return result(SSL_read(ssl_, data, static_cast<int>(size)), n);
}

TlsStream::Io TlsStream::write(const uint8_t* data, size_t size, size_t& n) {
  if (ssl_ == nullptr) {
    error_ = "no memory for a TLS session";
    return Io::Failed;
  }
  ERR_clear_error();
  return result(SSL_write(ssl_, data, static_cast<int>(size)), n);
}

bool TlsStream::handshake_done() const {
  return ssl_ != nullptr && SSL_is_init_finished(ssl_);
}

bool TlsStream::pending() const {
  return ssl_ != nullptr && SSL_pending(ssl_) > 0;
}

void TlsStream::shutdown() {
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace pvm::gateway
