/* The C ABI of the VM, for hosts not written in C++: load a compiled module (.pvmc), open a
 * session per connection, feed it bytes, and receive each frame's messages (as JSON lines),
 * replies and errors through a callback.
 *
 * Ownership:
 *  - pvm_program_load returns a program the caller frees with pvm_program_free. Sessions keep
 *    their program alive: a program may be freed while sessions made from it are still in use.
 *  - pvm_session_new returns a session the caller frees with pvm_session_free.
 *  - Everything a pvm_frame points to belongs to the session and is valid only during the
 *    callback; copy what must outlive it. A callback must not feed, finish or free the session
 *    it was called for (other sessions are fine).
 *  - Error texts are copied into caller buffers, truncated to fit and always NUL-terminated.
 *  - A program may be shared by sessions on several threads; one session is used by one thread
 *    at a time.
 */
#ifndef PVM_PVM_H
#define PVM_PVM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pvm_program pvm_program;
typedef struct pvm_session pvm_session;

typedef enum pvm_transport { PVM_TRANSPORT_TCP = 0, PVM_TRANSPORT_UDP = 1 } pvm_transport;

typedef struct pvm_session_options {
  pvm_transport transport;
  int lenient_checks; /* nonzero: failed `check`s become warnings */
  uint64_t fuel;      /* units of work per frame (see docs/security.md); 0 for the default */
  uint32_t max_frame; /* longest frame accepted, in bytes; 0 for the default (65536) */
} pvm_session_options;

typedef struct pvm_bytes {
  const uint8_t* data;
  size_t size;
} pvm_bytes;

/* One decoded (or rejected) frame. */
typedef struct pvm_frame {
  uint64_t offset; /* stream offset of the frame's first byte */
  const uint8_t* bytes;
  size_t size;
  const char* json; /* each message as one JSON object followed by '\n'; "" when none */
  size_t json_size;
  size_t message_count;
  const pvm_bytes* replies; /* to send to the device, in order, once the messages are stored */
  size_t reply_count;
  const char* error;    /* NULL when the frame was decoded; then no messages and no replies */
  const char* warnings; /* one per line, or NULL when none */
} pvm_frame;

typedef void (*pvm_frame_fn)(void* user, const pvm_frame* frame);

/* Loads and verifies a module; NULL with the reason in `error` when it is malformed. */
pvm_program* pvm_program_load(const uint8_t* data, size_t size, char* error, size_t error_size);
void pvm_program_free(pvm_program* program);
/* The protocol name, valid while the program is. */
const char* pvm_program_protocol(const pvm_program* program);

/* `options` may be NULL: TCP with the defaults. */
pvm_session* pvm_session_new(const pvm_program* program, const pvm_session_options* options);
void pvm_session_free(pvm_session* session);
/* Sets an option the module declares; 0 on success, -1 with the reason in `error`. */
int pvm_session_set_option(pvm_session* session, const char* name, const char* value, char* error,
                           size_t error_size);
/* TCP: stream bytes, decoded as frames complete. UDP: one datagram. */
void pvm_session_feed(pvm_session* session, const uint8_t* data, size_t size, pvm_frame_fn on_frame,
                      void* user);
/* One whole frame, whatever the transport. */
void pvm_session_feed_frame(pvm_session* session, const uint8_t* data, size_t size, pvm_frame_fn on_frame,
                            void* user);
/* End of stream: leftover bytes are reported as an incomplete frame. */
void pvm_session_finish(pvm_session* session, pvm_frame_fn on_frame, void* user);
/* Copies the device ident (session slot "ident") into `buffer`; returns its full length. */
size_t pvm_session_ident(const pvm_session* session, char* buffer, size_t buffer_size);
/* Stream bytes consumed so far. */
uint64_t pvm_session_stream_offset(const pvm_session* session);

#ifdef __cplusplus
}
#endif

#endif /* PVM_PVM_H */
