#include "pvmtest_run.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "decode_run.h"
#include "file_io.h"
#include "hex_input.h"
#include "line_diff.h"
#include "program_loader.h"
#include "pvmtest_file.h"

namespace fs = std::filesystem;

namespace pvm::cli {
namespace {

void drop_trailing_blank_lines(std::vector<std::string>& lines) {
  while (!lines.empty() && lines.back().find_first_not_of(" \t") == std::string::npos) lines.pop_back();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Decodes the input section as one stream with the header's settings. Appends a reason to
// `problems` when the header or the input is malformed.
void decode_input(const PvmTestFile& test, const PvmTestSection& input, const std::string& name,
                  std::shared_ptr<const Program> program, TestOutputs& actual,
                  std::vector<std::string>& problems) {
  InputStream stream;
  stream.name = name;
  std::string transport = test.header("transport", "tcp");
  std::string framed = test.header("framed", "false");
  std::string crc = test.header("crc", "strict");
  if (transport != "tcp" && transport != "udp") problems.push_back("transport must be tcp or udp");
  if (framed != "true" && framed != "false") problems.push_back("framed must be true or false");
  if (crc != "strict" && crc != "warn") problems.push_back("crc must be strict or warn");
  stream.transport = transport == "udp" ? Transport::Udp : Transport::Tcp;
  stream.whole_frames = framed == "true";

  DecodeOptions options;
  options.lenient_checks = crc == "warn";
  for (const auto& [key, value] : test.headers) {
    if (key != "option") continue;
    std::pair<std::string, std::string> assignment;
    if (!split_assignment(value, assignment)) {
      problems.push_back("option must be NAME=VALUE, not '" + value + "'");
      continue;
    }
    options.options.push_back(std::move(assignment));
  }
  std::string error;
  stream.origin = ChunkOrigin::Line;
  if (!parse_hex_lines(join_lines(input.lines), name, input.first_line, stream.chunks, stream.times, error,
                       &stream.origins))
    problems.push_back(error);
  if (!problems.empty()) return;

  std::ostringstream messages, replies, frames, errors;
  DecodeSinks sinks{&messages, &replies, &frames, &errors};
  DecodeStats stats;
  if (!run_decode(std::move(program), options, {stream}, sinks, stats, error)) {
    problems.push_back(error);
    return;
  }
  actual["messages"] = split_lines(messages.str());
  actual["replies"] = split_lines(replies.str());
  actual["errors"] = split_lines(errors.str());
  actual["frames"] = split_lines(frames.str());
}

void encode_command(const std::string& spec, const Program& program, TestOutputs& actual,
                    std::vector<std::string>& problems) {
  std::vector<std::string> words;
  std::string error;
  if (!split_words(spec, words, error) || words.empty()) {
    problems.push_back("encode: " + (error.empty() ? "no command given" : error));
    return;
  }
  std::vector<std::pair<std::string, std::string>> args;
  for (size_t i = 1; i < words.size(); ++i) {
    std::pair<std::string, std::string> arg;
    if (!split_assignment(words[i], arg)) {
      problems.push_back("encode: arguments must be NAME=VALUE, not '" + words[i] + "'");
      return;
    }
    args.push_back(std::move(arg));
  }
  std::vector<uint8_t> bytes;
  // A failed encode is output like any other, so a test can expect it.
  actual["encoded"] = {program.encode(words[0], args, bytes, error) ? to_hex(bytes) : "error: " + error};
}

// What `program` makes of the test's input and encode command.
TestOutputs run_program(const PvmTestFile& test, const std::string& name,
                        std::shared_ptr<const Program> program, std::vector<std::string>& problems) {
  TestOutputs out;
  if (const PvmTestSection* input = test.section("input"))
    decode_input(test, *input, name, program, out, problems);
  if (std::string spec = test.header("encode"); !spec.empty()) encode_command(spec, *program, out, problems);
  return out;
}

// Which expected sections --update writes: the ones present; in a test that has none yet,
// every one with something to say; and the diagnostics of a program that no longer compiles,
// since nothing else can state that outcome.
bool wanted_on_update(const PvmTestFile& test, const std::string& name, const TestOutputs& actual,
                      bool compiled) {
  if (test.section(name)) return true;
  if (name == "diagnostics" && !compiled) return true;
  bool fresh = std::none_of(test.sections.begin(), test.sections.end(),
                            [](const PvmTestSection& s) { return is_expected_section(s.name); });
  auto it = actual.find(name);
  if (!fresh || it == actual.end()) return false;  // not produced: no program, or no input
  if (name == "messages") return true;             // decoding to nothing is worth stating too
  if (name == "asm") return false;                 // optional: kept up to date once someone adds it
  return !it->second.empty();
}

}  // namespace

GoldenRunner::Built GoldenRunner::build_source(const std::string& file_name, const std::string& source,
                                               const std::string& dir) {
  Built built;
  compiler::CompileResult result = compiler::compile_source(file_name, source, compile_options({dir}));
  built.compiled = result.ok;
  built.diagnostics = split_lines(render_diagnostics(result.diagnostics));
  if (!result.ok) return built;
  built.asm_lines = split_lines(result.asm_text);
  built.program = Program::load(std::move(result.module), built.error, options_.load);
  if (!built.program) built.error = "compiled module does not verify: " + built.error;
  loaded(built);
  return built;
}

const GoldenRunner::Built& GoldenRunner::build_path(const std::string& path, bool with_asm) {
  auto cached = by_path_.find(path);
  if (cached != by_path_.end() && !(with_asm && cached->second.from_cache)) return cached->second;
  Built built;
  if (ends_with(path, ".pvmc")) {
    std::ostringstream unused;
    built.program = load_program(path, unused, built.error, options_.load);
  } else {
    std::string source;
    if (read_file(path, source, built.error)) {
      // The cache keeps no assembly: a test that compares it compiles.
      compiler::CompileResult result =
          with_asm ? compiler::compile_file(path, compile_options({}))
                   : modules_.compile(path, compile_options({}).import_dirs, built.from_cache);
      if (std::string line = module_cache_line(modules_); !line.empty()) notes_ += line + "\n";
      built.compiled = result.ok;
      built.diagnostics = split_lines(render_diagnostics(result.diagnostics));
      if (result.ok) {
        built.asm_lines = split_lines(result.asm_text);
        built.program = Program::load(std::move(result.module), built.error, options_.load);
        if (!built.program) built.error = path + ": compiled module does not verify: " + built.error;
      }
    }
  }
  loaded(built);
  return by_path_.insert_or_assign(path, std::move(built)).first->second;
}

// A program just loaded: why the JIT does not run it, and for compare_engines its module loaded
// once more for the JIT.
void GoldenRunner::loaded(Built& built) {
  if (!built.program) return;
  note_engine(*built.program, options_.load);
  if (!options_.compare_engines) return;
  LoadOptions jit = options_.load;
  jit.engine = Engine::Jit;
  built.jit = Program::load(bc::Module(built.program->module()), built.error, jit);
  if (built.jit) note_engine(*built.jit, jit);
}

void GoldenRunner::note_engine(const Program& program, const LoadOptions& options) {
  std::string line = jit_fallback_line(program, options);
  // A pvm without the JIT says so once, not for every program.
  if (!line.empty() && !jit_available())
    line = "pvm: the JIT is not used: " + program.jit_note() + "; the interpreter runs";
  if (!line.empty() && noted_.insert(line).second) notes_ += line + "\n";
}

GoldenResult GoldenRunner::run(const std::string& path) {
  GoldenResult result = run_test(path);
  result.notes = std::move(notes_);
  notes_.clear();
  return result;
}

GoldenResult GoldenRunner::run_test(const std::string& path) {
  const bool update = options_.update;
  GoldenResult result;
  std::string text, error;
  PvmTestFile test;
  if (!read_file(path, text, error)) {
    result.report = error + "\n";
    return result;
  }
  if (!parse_pvmtest(text, test, error)) {
    result.report = error + "\n";
    return result;
  }
  const std::string name = base_name(path);
  const std::string dir = fs::path(path).parent_path().string();

  TestOutputs actual;
  std::vector<std::string> problems;
  std::string engine_report;  // compare_engines: where the JIT's output differs
  Built inline_build;
  const Built* built = nullptr;
  if (const PvmTestSection* program = test.section("program")) {
    // Compiled on its own, so diagnostics count lines from the section's first line.
    inline_build = build_source(name, join_lines(program->lines), dir);
    built = &inline_build;
  } else if (std::string spec = test.header("protocol"); !spec.empty()) {
    std::string resolved;
    if (resolve_protocol(spec, dir, resolved, error)) {
      built = &build_path(resolved, test.section("asm") != nullptr);
    } else {
      problems.push_back(error);
    }
  } else {
    problems.push_back("no program: give a 'protocol:' header or a '--- program' section");
  }

  if (built) {
    actual["diagnostics"] = built->diagnostics;
    actual["asm"] = built->asm_lines;
    if (!built->compiled && !test.section("diagnostics") && !update) {
      problems.push_back("compilation failed:\n" + join_lines(built->diagnostics));
    } else if (built->compiled && !built->program) {
      problems.push_back(built->error);
    }
    if (built->program) {
      TestOutputs ran = run_program(test, name, built->program, problems);
      if (options_.compare_engines && !built->jit) {
        problems.push_back("the module does not load for the JIT: " + built->error);
      } else if (options_.compare_engines) {
        std::vector<std::string> same;  // the interpreter's problems again: the test's, not the engine's
        if (std::string diff = engine_diff(ran, run_program(test, name, built->jit, same)); !diff.empty())
          engine_report = "the interpreter and the JIT differ:\n" + diff;
      }
      actual.merge(ran);
    }
  }
  for (auto& [section, lines] : actual) drop_trailing_blank_lines(lines);

  if (!problems.empty()) {
    for (const auto& p : problems) result.report += p + (p.ends_with('\n') ? "" : "\n");
    return result;
  }

  if (update) {
    PvmTestFile rewritten = test;
    for (std::string_view section : kExpectedSections) {
      std::string key(section);
      if (!wanted_on_update(test, key, actual, !built || built->compiled)) continue;
      PvmTestSection* s = rewritten.section(key);
      if (!s) {
        rewritten.sections.push_back({key, 0, {}});
        s = &rewritten.sections.back();
      }
      s->lines = actual[key];
    }
    std::string new_text = write_pvmtest(rewritten);
    if (new_text != text) {
      if (!write_file(path, new_text, error)) {
        result.report = error + "\n";
        return result;
      }
      result.updated = true;
      // Error lines name input lines: when the rewrite moved the input, say so once more.
      PvmTestFile reparsed;
      const PvmTestSection* before = test.section("input");
      if (before && parse_pvmtest(new_text, reparsed, error) && reparsed.section("input") &&
          reparsed.section("input")->first_line != before->first_line)
        return run_test(path);
    }
    result.report = engine_report;
    result.passed = result.report.empty();
    return result;
  }

  bool any_expected = false;
  for (const auto& section : test.sections) {
    if (!is_expected_section(section.name)) continue;
    any_expected = true;
    const std::vector<std::string>& got = actual[section.name];
    if (got == section.lines) continue;
    result.report += "--- " + section.name + " (expected)\n+++ " + section.name + " (actual)\n";
    result.report += unified_diff(section.lines, got);
  }
  if (!any_expected) result.report += "no expected section to compare (run with --update)\n";
  result.report += engine_report;
  result.passed = result.report.empty();
  return result;
}

std::string engine_diff(const TestOutputs& interpreter, const TestOutputs& jit) {
  std::set<std::string> sections;
  for (const auto& [name, lines] : interpreter) sections.insert(name);
  for (const auto& [name, lines] : jit) sections.insert(name);
  static const std::vector<std::string> none;
  std::string report;
  for (const std::string& name : sections) {
    auto a = interpreter.find(name), b = jit.find(name);
    const auto& before = a == interpreter.end() ? none : a->second;
    const auto& after = b == jit.end() ? none : b->second;
    if (before == after) continue;
    report += "--- " + name + " (interpreter)\n+++ " + name + " (jit)\n" + unified_diff(before, after);
  }
  return report;
}

bool collect_tests(const std::vector<std::string>& paths, std::vector<std::string>& files,
                   std::string& error) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(p, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".pvmtest")
          found.push_back(entry.path().lexically_normal().string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      error = "no such test file or folder: " + p;
      return false;
    }
  }
  return true;
}

bool split_words(std::string_view text, std::vector<std::string>& words, std::string& error) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    std::string word;
    bool quoted = false;
    for (; i < text.size() && (quoted || (text[i] != ' ' && text[i] != '\t')); ++i) {
      char c = text[i];
      if (c == '"') {
        quoted = !quoted;
      } else if (quoted && c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word += text[++i];
      } else {
        word += c;
      }
    }
    if (quoted) {
      error = "unterminated quote in '" + std::string(text) + "'";
      return false;
    }
    words.push_back(std::move(word));
  }
  return true;
}

}  // namespace pvm::cli
