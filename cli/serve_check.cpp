#include "serve_check.h"

#include <map>
#include <ostream>

namespace pvm::cli {
namespace {

std::string on_off(bool b) {
  return b ? "on" : "off";
}

// "jit", or which protocols the interpreter runs and why when the JIT does not run them all.
void print_engines(const gateway::GatewayConfig& config, const std::map<std::string, std::string>& notes,
                   std::ostream& out) {
  std::map<std::string, std::string> by_note;  // the JIT's note ("" when it runs) -> the protocols
  for (const auto& [protocol, note] : notes) by_note[note] += (by_note[note].empty() ? "" : ", ") + protocol;
  if (!config.jit) {
    out << "engine   interpreter\n";
  } else if (by_note.size() == 1 && by_note.begin()->first.empty()) {
    out << "engine   jit\n";
  } else {
    for (const auto& [note, protocols] : by_note)
      out << "engine   "
          << (note.empty() ? "jit for " + protocols : "interpreter for " + protocols + ": " + note) << "\n";
  }
}

}  // namespace

bool check_serve_config(const gateway::GatewayConfig& config, const gateway::ProgramLoader& loader,
                        std::ostream& out, std::string& error) {
  if (!gateway::validate(config, error)) return false;
  std::map<std::string, std::string> protocols;  // as given -> the name the program declares
  std::map<std::string, std::string> jit_notes;  // declared name -> why the JIT does not run it
  const LoadOptions options{config.jit ? Engine::Jit : Engine::Interpreter, config.jit_cache.value_or("")};
  for (const auto& l : config.listeners) {
    if (protocols.count(l.protocol)) continue;
    std::string why, cache_note;  // a cache note is for the running gateway's log
    auto program = loader(l.protocol, config.base_dir, options, cache_note, why);
    if (!program) {
      error = l.text() + ": " + why;
      return false;
    }
    protocols[l.protocol] = std::string(program->protocol());
    jit_notes[protocols[l.protocol]] = program->jit_note();
  }
  if (!gateway::check_certificates(config, error)) return false;
  bool tls = false;
  for (const auto& l : config.listeners) tls = tls || l.tls;

  for (const auto& l : config.listeners)
    out << "listen   " << l.text() << " (" << protocols[l.protocol] << ")\n";
  for (const auto& s : config.sinks) out << "sink     " << s.text() << "\n";
  out << "http     " << (config.http.empty() ? "none" : config.http) << "\n";
  out << "workers  " << (config.workers ? std::to_string(config.workers) : "one per CPU") << "\n";
  out << "messages server.timestamp and peer " << on_off(config.server_fields) << "\n";
  print_engines(config, jit_notes, out);
  bool mqtt = false;
  for (const auto& s : config.sinks) mqtt = mqtt || s.kind == gateway::SinkKind::Mqtt;
  if (mqtt)
    out << "mqtt     topic " << config.mqtt.topic << ", qos " << config.mqtt.qos << ", "
        << config.mqtt.connections << " connections per worker, " << config.mqtt.inflight
        << " in flight each, commands " << on_off(config.mqtt.commands)
        << (config.mqtt.cert_file.empty() ? "" : ", client certificate") << "\n";
  if (!config.spool_dir.empty())
    out << "spool    " << config.spool_dir << " (at most " << config.spool_max_bytes << " bytes)\n";
  if (tls)
    out << "tls      " << config.tls.cert_file << ", handshake " << config.tls.handshake_timeout << " s\n";
  const auto& l = config.limits;
  out << "limits   max_frame " << l.max_frame << ", idle_timeout " << l.idle_timeout
      << " s, max_pending_frames " << l.max_pending_frames << ", max_sink_queue " << l.max_sink_queue
      << ", max_connections " << l.max_connections << ", drain_timeout " << l.drain_timeout
      << " s, command_timeout " << l.command_timeout << " s\n";
  return true;
}

}  // namespace pvm::cli
