// pvm decode: runs captured device bytes (hex, raw or pcap) through a protocol and prints the
// messages as JSON lines. Other tools rely on its options, output and exit statuses.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "decode_run.h"
#include "file_io.h"
#include "hex_input.h"
#include "pcap_input.h"
#include "program_loader.h"
#include "pvm/gateway/config.h"
#include "stream_recovery.h"

namespace pvm::cli {
namespace {

struct DecodeArgs {
  std::string protocol;
  std::string transport = "tcp";
  std::string format;
  bool framed = false;
  std::string replies_path;
  std::string frames_path;
  std::string crc = "strict";
  std::vector<std::string> options;
  std::string output = "json";
  std::vector<std::string> inputs;
  uint16_t port = 0;
  std::string ident;
  std::string filter;
  bool no_server_fields = false;
  std::string trace;  // "" off, "text" (a bare --trace) or "json"
  bool jit = false;
  std::string jit_cache = default_jit_cache();
  bool no_jit_cache = false;
  ModuleCacheArgs module_cache;
};

std::string format_of(const std::string& path, const std::string& explicit_format) {
  if (!explicit_format.empty()) return explicit_format;
  if (path == "-") return "hex";
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".hex" || ext == ".txt") return "hex";
  if (ext == ".pcap" || ext == ".pcapng") return "pcap";
  return "bin";
}

// The device's streams of a capture. A conversation whose device side the packets do not show
// comes as both directions: the one that decodes better is kept, never both.
bool read_pcap(const DecodeArgs& args, const std::string& path, const std::shared_ptr<const Program>& program,
               const DecodeOptions& options, std::vector<InputStream>& streams, std::string& error) {
  CaptureOptions capture;
  capture.server_port = args.port ? args.port : gateway::customary_port(program->protocol());
  capture.filter = args.filter;
  std::vector<CaptureFlow> flows;
  if (!read_capture(path, capture, flows, error)) return false;
  std::vector<InputStream> found(flows.size());
  for (size_t i = 0; i < flows.size(); ++i) {
    CaptureFlow& flow = flows[i];
    InputStream& s = found[i];
    s.name = std::move(flow.name);
    s.transport = flow.transport;
    s.whole_frames = args.framed;
    s.chunks = std::move(flow.chunks);
    s.origin = ChunkOrigin::Packet;
    s.origins = std::move(flow.packets);
    s.peer = std::move(flow.peer);
    s.times = std::move(flow.times);
    for (const CaptureGap& g : flow.gaps) s.gaps.push_back({g.chunk, g.from, g.to});
  }
  for (size_t i = 0; i < flows.size(); ++i) {
    const int other = flows[i].other;
    if (other >= 0 && static_cast<size_t>(other) > i) {
      // Ties go to the side that spoke first, as a device usually does.
      const bool keep_first =
          device_score(program, options, found[i]) >= device_score(program, options, found[other]);
      found[keep_first ? other : i].chunks.clear();
      found[keep_first ? other : i].name.clear();
    }
  }
  for (auto& s : found)
    if (!s.name.empty()) streams.push_back(std::move(s));
  return true;
}

// Appends the streams of one input file; false with a reason when it cannot be read.
bool read_input(const DecodeArgs& args, const std::string& path,
                const std::shared_ptr<const Program>& program, const DecodeOptions& options,
                std::vector<InputStream>& streams, std::string& error) {
  std::string format = format_of(path, args.format);
  if (format == "pcap") return read_pcap(args, path, program, options, streams, error);
  InputStream stream;
  stream.name = path == "-" ? "<stdin>" : path;
  stream.transport = args.transport == "udp" ? Transport::Udp : Transport::Tcp;
  stream.whole_frames = args.framed;
  if (format == "hex") {
    std::string text;
    if (!read_file(path, text, error)) return false;
    stream.origin = ChunkOrigin::Line;
    if (!parse_hex_lines(text, stream.name, 1, stream.chunks, stream.times, error, &stream.origins)) return false;
  } else {
    // Binary input is decoded where it was read: one buffer, no copy.
    std::vector<uint8_t> bytes;
    if (!read_file(path, bytes, error)) return false;
    if (!bytes.empty()) stream.chunks.push_back(std::move(bytes));
  }
  streams.push_back(std::move(stream));
  return true;
}

int run_decode_command(const DecodeArgs& args) {
  auto fail = [](const std::string& why) {
    std::cerr << "pvm decode: " << why << "\n";
    return kExitUsage;
  };
  DecodeOptions options;
  options.lenient_checks = args.crc == "warn";
  options.ident = args.ident;
  options.server_fields = !args.no_server_fields;
  for (const auto& text : args.options) {
    std::pair<std::string, std::string> option;
    if (!split_assignment(text, option)) return fail("--option takes NAME=VALUE, not '" + text + "'");
    options.options.push_back(std::move(option));
  }

  std::string path, error;
  if (!resolve_protocol(args.protocol, "", path, error)) return fail(error);
  const LoadOptions load{args.jit ? Engine::Jit : Engine::Interpreter,
                         args.no_jit_cache ? "" : args.jit_cache};
  ModuleCache modules(args.module_cache.resolve());
  std::shared_ptr<const Program> program = load_program(path, std::cerr, error, load, &modules);
  if (std::string note = module_cache_line(modules); !note.empty()) std::cerr << note << "\n";
  if (!program) return fail(error);
  if (std::string note = jit_fallback_line(*program, load); !note.empty()) std::cerr << note << "\n";

  std::vector<InputStream> streams;
  std::vector<std::string> inputs = args.inputs.empty() ? std::vector<std::string>{"-"} : args.inputs;
  if (!args.filter.empty() || args.port)
    for (const auto& input : inputs)
      if (format_of(input, args.format) != "pcap")
        return fail("--filter and --port apply to pcap input only");
  for (const auto& input : inputs)
    if (!read_input(args, input, program, options, streams, error)) return fail(error);

  std::ofstream replies, frames;
  DecodeSinks sinks;
  sinks.errors = &std::cerr;
  if (args.output == "json") sinks.messages = &std::cout;
  if (args.output == "frames") sinks.listing = &std::cout;
  if (!args.trace.empty()) {
    sinks.messages = nullptr;
    sinks.trace = &std::cout;
    sinks.trace_format = args.trace == "json" ? TraceFormat::Json : TraceFormat::Text;
  }
  // '-' is standard output, interleaved with the messages in frame order.
  if (args.replies_path == "-") {
    sinks.replies = &std::cout;
  } else if (!args.replies_path.empty()) {
    replies.open(args.replies_path, std::ios::trunc);
    if (!replies) return fail("cannot write " + args.replies_path);
    sinks.replies = &replies;
  }
  if (args.frames_path == "-") {
    sinks.frames = &std::cout;
  } else if (!args.frames_path.empty()) {
    frames.open(args.frames_path, std::ios::trunc);
    if (!frames) return fail("cannot write " + args.frames_path);
    sinks.frames = &frames;
  }

  DecodeStats stats;
  if (!run_decode(program, options, streams, sinks, stats, error)) return fail(error);
  if (args.output == "none")
    std::cout << stats.frames << " frames, " << stats.messages << " messages, " << stats.replies
              << " replies, " << stats.bad_frames << " rejected, " << stats.warnings << " warnings\n";
  std::cout.flush();
  return stats.bad_frames || stats.gaps ? kExitFailed : kExitOk;
}

}  // namespace

void add_decode_command(CLI::App& app, int& status) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd =
      app.add_subcommand("decode", "Decode captured device bytes to JSON messages, one object per line");
  cmd->footer(
      "A rejected frame is reported on standard error as 'INPUT:LINE: offset N: ...' (a capture: 'INPUT packet N:')\n"
      "and decoding goes on. '--output frames' shows each frame with its input line, bytes, messages and replies;\n"
      "'--trace' shows which bytes became which field: every read with its offset, bytes, .pvm line and value.\n"
      "Exit status: 0 when every frame decoded, 1 when a frame was rejected, 2 for usage errors.\n\n"
      "Examples:\n"
      "  pvm decode -p teltonika examples/captures/teltonika.hex --replies -\n"
      "  echo 000f333536333037303432343431303133 | pvm decode -p teltonika --jit\n"
      "  pvm decode -p teltonika examples/captures/teltonika.hex --trace");
  cmd->add_option("-p,--protocol", args->protocol,
                  "A stdlib protocol name (teltonika, ...), or a .pvm (compiled now) or .pvmc file")
      ->type_name("PROTOCOL")
      ->required();
  cmd->add_option("--transport", args->transport,
                  "tcp: each input is one connection's byte stream, reassembled into frames;\n"
                  "udp: each hex line (or bin file) is one datagram")
      ->check(CLI::IsMember({"tcp", "udp"}))
      ->capture_default_str();
  cmd->add_option("--format", args->format,
                  "Input format (default by extension: .hex/.txt hex, .pcap/.pcapng pcap, otherwise bin;\n"
                  "standard input is hex). hex: one chunk per line, '#' comments, '@ 1700000000.5' sets\n"
                  "the receive time (`now`) of the chunks after it, else the wall clock; bin: raw bytes;\n"
                  "pcap: every TCP connection and UDP peer in the capture is its own session, each\n"
                  "packet received at its capture time")
      ->check(CLI::IsMember({"hex", "bin", "pcap"}));
  cmd->add_flag("--framed", args->framed,
                "Every chunk is one complete frame: skip the protocol's TCP framing");
  cmd->add_option("--replies", args->replies_path,
                  "Write every reply as a lowercase hex line to FILE ('-': standard output)")
      ->type_name("FILE");
  cmd->add_option("--frames", args->frames_path,
                  "Write one JSON object per frame to FILE ('-': standard output): input, lines (or\n"
                  "packets), offset, size, hex, messages, replies, warnings and error")
      ->type_name("FILE");
  cmd->add_option("--crc", args->crc,
                  "strict rejects a frame whose check fails; warn decodes it with a warning")
      ->check(CLI::IsMember({"strict", "warn"}))
      ->capture_default_str();
  cmd->add_option("--option", args->options, "Set an option the protocol declares (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  CLI::Option* output = cmd->add_option("--output", args->output,
                  "json prints the messages; frames each frame for a reader (where it came from in the input,\n"
                  "its bytes, messages, replies, warnings and error); none only counts them")
      ->check(CLI::IsMember({"json", "frames", "none"}))
      ->capture_default_str();
  cmd->add_flag("--trace", args->trace,
                "Instead of the messages, print each frame's fields: every read, skip, seek and within\n"
                "with its stream offset and bytes, the .pvm line that read it and the value it became,\n"
                "indented by within and function call; a rejected frame ends where and why it stopped.\n"
                "text (--trace alone) is for a terminal, json one object per field for tools. Traced\n"
                "frames always run in the interpreter")
      ->type_name("[=text|json]")
      // A flag, so that `--trace FILE` leaves the file alone; alone it gives "true".
      ->transform(CLI::Validator(
          [](std::string& format) -> std::string {
            if (format == "true") format = "text";
            return format == "text" || format == "json" ? "" : format + " is neither text nor json";
          },
          ""))
      ->excludes(output);
  cmd->add_flag("--jit", args->jit,
                "Run the protocol as native code, compiled once when it loads (same output as the\n"
                "interpreter); where this pvm has no JIT or it cannot compile the protocol, a line on\n"
                "standard error says why and the interpreter runs");
  add_jit_cache_options(*cmd, args->jit_cache, args->no_jit_cache);
  add_module_cache_options(*cmd, args->module_cache);
  cmd->add_option("--port", args->port,
                  "pcap: the port the protocol's server listens on (default: its customary port); in a\n"
                  "connection captured without its SYN, the other side is the device")
      ->type_name("PORT");
  cmd->add_option("--filter", args->filter,
                  "pcap: a BPF filter (tcpdump's syntax); other packets are left alone")
      ->type_name("EXPRESSION");
  cmd->add_option("--ident", args->ident,
                  "The device's ident when its login is not in the input (a capture started mid-connection)")
      ->type_name("VALUE");
  cmd->add_flag("--no-server-fields", args->no_server_fields,
                "pcap: leave out peer (the device's IP:PORT) and server.timestamp (the capture time of\n"
                "the packet that completed the frame), which messages carry by default");
  cmd->add_option("input", args->inputs,
                  "Input files, each its own connection; '-' or none reads standard input")
      ->type_name("INPUT");
  cmd->callback([args, &status] { status = run_decode_command(*args); });
}

}  // namespace pvm::cli
