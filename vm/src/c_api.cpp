// The C ABI over the C++ embedding API. No exception crosses it: allocation failures become a
// NULL program or session, or a dropped callback.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pvm/pvm.h"
#include "pvm/vm.h"

struct pvm_program {
  std::shared_ptr<const pvm::Program> program;
};

struct pvm_session {
  pvm_session(std::shared_ptr<const pvm::Program> p, pvm::SessionOptions o)
      : program(p), session(std::move(p), o) {}
  std::shared_ptr<const pvm::Program> program;
  pvm::Session session;
  // Reused from frame to frame.
  pvm::JsonBuffer json;
  std::string error;
  std::string warnings;
  std::vector<pvm_bytes> replies;
};

namespace {

// Copies as much of `text` as fits, always NUL-terminated; returns the full length.
size_t copy_text(std::string_view text, char* buffer, size_t size) {
  if (buffer != nullptr && size > 0) {
    const size_t n = text.size() < size - 1 ? text.size() : size - 1;
    if (n > 0) std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
  }
  return text.size();
}

pvm::FrameCallback bridge(pvm_session* s, pvm_frame_fn on_frame, void* user) {
  return [s, on_frame, user](const pvm::FrameResult& r) {
    const std::string_view source = s->program->module().strings[s->program->module().source];
    s->json.clear();
    for (const pvm::Message& m : r.messages) {
      pvm::append_json(s->json, m);
      s->json.push_back('\n');
    }
    s->json.push_back('\0');  // a C string for the host
    s->replies.clear();
    for (const std::vector<uint8_t>& reply : r.replies) s->replies.push_back({reply.data(), reply.size()});
    s->warnings.clear();
    for (const pvm::Error& w : r.warnings) {
      s->warnings += w.format(source);
      s->warnings += '\n';
    }
    if (r.error != nullptr) s->error = r.error->format(source);

    pvm_frame f{};
    f.offset = r.offset;
    f.bytes = r.bytes.data();
    f.size = r.bytes.size();
    f.json = s->json.view().data();
    f.json_size = s->json.size() - 1;
    f.message_count = r.messages.size();
    f.replies = s->replies.data();
    f.reply_count = s->replies.size();
    f.error = r.error != nullptr ? s->error.c_str() : nullptr;
    f.warnings = r.warnings.empty() ? nullptr : s->warnings.c_str();
    on_frame(user, &f);
  };
}

}  // namespace

extern "C" {

pvm_program* pvm_program_load(const uint8_t* data, size_t size, char* error, size_t error_size) {
  try {
    std::string why;
    auto program = pvm::Program::load(std::span<const uint8_t>(data, size), why);
    if (program == nullptr) {
      copy_text(why, error, error_size);
      return nullptr;
    }
    return new pvm_program{std::move(program)};
  } catch (const std::exception& e) {
    copy_text(e.what(), error, error_size);
    return nullptr;
  }
}

void pvm_program_free(pvm_program* program) {
  delete program;
}

const char* pvm_program_protocol(const pvm_program* program) {
  const pvm::bc::Module& m = program->program->module();
  return m.strings[m.protocol].c_str();
}

pvm_session* pvm_session_new(const pvm_program* program, const pvm_session_options* options) {
  pvm::SessionOptions o;
  if (options != nullptr) {
    o.transport = options->transport == PVM_TRANSPORT_UDP ? pvm::Transport::Udp : pvm::Transport::Tcp;
    o.lenient_checks = options->lenient_checks != 0;
    if (options->fuel != 0) o.fuel = options->fuel;
    if (options->max_frame != 0) o.max_frame = options->max_frame;
  }
  try {
    return new pvm_session(program->program, o);
  } catch (const std::exception&) {
    return nullptr;
  }
}

void pvm_session_free(pvm_session* session) {
  delete session;
}

int pvm_session_set_option(pvm_session* session, const char* name, const char* value, char* error,
                           size_t error_size) {
  try {
    std::string why;
    if (session->session.set_option(name, value, why)) return 0;
    copy_text(why, error, error_size);
  } catch (const std::exception& e) {
    copy_text(e.what(), error, error_size);
  }
  return -1;
}

void pvm_session_feed(pvm_session* session, const uint8_t* data, size_t size, pvm_frame_fn on_frame,
                      void* user) {
  try {
    session->session.feed(std::span<const uint8_t>(data, size), bridge(session, on_frame, user));
  } catch (const std::exception&) {
  }
}

void pvm_session_feed_frame(pvm_session* session, const uint8_t* data, size_t size, pvm_frame_fn on_frame,
                            void* user) {
  try {
    session->session.feed_frame(std::span<const uint8_t>(data, size), bridge(session, on_frame, user));
  } catch (const std::exception&) {
  }
}

void pvm_session_finish(pvm_session* session, pvm_frame_fn on_frame, void* user) {
  try {
    session->session.finish(bridge(session, on_frame, user));
  } catch (const std::exception&) {
  }
}

size_t pvm_session_ident(const pvm_session* session, char* buffer, size_t buffer_size) {
  return copy_text(session->session.ident(), buffer, buffer_size);
}

uint64_t pvm_session_stream_offset(const pvm_session* session) {
  return session->session.stream_offset();
}

}  // extern "C"
