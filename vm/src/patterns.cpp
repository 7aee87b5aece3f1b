#include "patterns.h"

#include <re2/re2.h>

#include "pvm/vm.h"

namespace pvm::detail {
namespace {

// Compiled pattern instructions stepped through per unit of fuel, per text byte.
constexpr int kPatternWordsPerUnit = 16;

}  // namespace

Patterns::Patterns() = default;
Patterns::~Patterns() = default;

bool Patterns::compile(const bc::Module& module, std::string& error) {
  by_string.resize(module.strings.size());
  unit_cost.assign(module.strings.size(), 1);
  bool failed = false;
  for (const bc::Function& f : module.functions) {
    bc::for_each_instruction(f, [&](bc::Op op, const uint32_t* operands, size_t pc) {
      if (op != bc::Op::ReMatch || failed) return;
      const uint32_t s = operands[2];
      if (by_string[s]) return;
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<RE2>(module.strings[s], options);
      if (!re->ok() || static_cast<size_t>(re->NumberOfCapturingGroups()) + 1 > kMaxGroups) {
        error = printable(module.strings[f.name]) + "+" + std::to_string(pc) + ": pattern \"" +
                printable(module.strings[s]) + "\" " +
                (re->ok() ? "has more than " + std::to_string(kMaxGroups - 1) + " groups"
                          : "does not compile: " + re->error());
        failed = true;
        return;
      }
      unit_cost[s] = 1 + static_cast<uint32_t>(re->ProgramSize()) / kPatternWordsPerUnit;
      by_string[s] = std::move(re);
    });
    if (failed) return false;
  }
  return true;
}

bool Patterns::match(uint32_t s, std::string_view text, std::string_view* groups, size_t& count) const {
  count = 0;
  if (s >= by_string.size() || !by_string[s]) return false;  // a Program that did not come from load()
  const RE2& re = *by_string[s];
  count = static_cast<size_t>(re.NumberOfCapturingGroups()) + 1;
  re2::StringPiece pieces[kMaxGroups];
  if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED, pieces,
                static_cast<int>(count))) {
    count = 0;
    return false;
  }
  for (size_t k = 0; k < count; ++k) groups[k] = std::string_view(pieces[k].data(), pieces[k].size());
  return true;
}

}  // namespace pvm::detail
