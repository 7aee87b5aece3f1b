// Constant folding must compute what the lowered code computes: random well-typed expressions
// (fixed seed) are compiled once as a constant and once over the same values read from the
// frame, and each pair of results must be the same value of the same type.
#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compiler_test_util.h"
#include "pvm/vm.h"

namespace {

enum class T { Int, UInt, Float, Bool };

struct Leaf {
  T type;
  uint64_t bits;  // the value as read from the frame (two's complement, IEEE)
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  // An expression of type `t` twice: with literals (`folded`) and with variables (`run`).
  void gen(T t, int depth, std::string& folded, std::string& run, std::vector<Leaf>& leaves) {
    if (t != T::Bool && (depth == 0 || pick(10) < 3)) return leaf(t, folded, run, leaves, false);
    std::string a, ra, b, rb;
    switch (t) {
      case T::Int: {
        static const char* kOps[] = {"+", "-", "*", "%", "&", "|", "^", "<<", ">>"};
        std::string op = kOps[pick(9)];
        if (pick(8) == 0) {  // unary
          std::string u = pick(2) ? "-" : "~";
          gen(T::Int, depth - 1, a, ra, leaves);
          folded = "(" + u + a + ")";
          run = "(" + u + ra + ")";
          return;
        }
        gen(T::Int, depth - 1, a, ra, leaves);
        // A uint on the right makes an int too, except for shifts.
        T right = op != "<<" && op != ">>" && pick(3) == 0 ? T::UInt : T::Int;
        if (op == "%") leaf(right, b, rb, leaves, true);
        else gen(right, depth - 1, b, rb, leaves);
        return binary(op, a, ra, b, rb, folded, run);
      }
      case T::UInt: {
        static const char* kOps[] = {"+", "-", "*", "%", "&", "|", "^", "<<", ">>"};
        std::string op = kOps[pick(9)];
        gen(T::UInt, depth - 1, a, ra, leaves);
        if (op == "%") leaf(T::UInt, b, rb, leaves, true);
        else gen(op == "<<" || op == ">>" ? T::Int : T::UInt, depth - 1, b, rb, leaves);
        return binary(op, a, ra, b, rb, folded, run);
      }
      case T::Float: {
        static const char* kOps[] = {"+", "-", "*", "/"};
        std::string op = kOps[pick(4)];
        gen(pick(3) ? T::Float : T::Int, depth - 1, a, ra, leaves);
        gen(pick(3) ? T::Float : T::UInt, depth - 1, b, rb, leaves);
        return binary(op, a, ra, b, rb, folded, run);
      }
      case T::Bool: {
        static const char* kCmp[] = {"==", "!=", "<", "<=", ">", ">="};
        static const T kTypes[] = {T::Int, T::UInt, T::Float};
        if (depth > 1 && pick(4) == 0) {
          gen(T::Bool, depth - 1, a, ra, leaves);
          gen(T::Bool, depth - 1, b, rb, leaves);
          return binary(pick(2) ? "&&" : "||", a, ra, b, rb, folded, run);
        }
        gen(kTypes[pick(3)], depth - 1, a, ra, leaves);
        gen(kTypes[pick(3)], depth - 1, b, rb, leaves);
        return binary(kCmp[pick(6)], a, ra, b, rb, folded, run);
      }
    }
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  void leaf(T t, std::string& folded, std::string& run, std::vector<Leaf>& leaves, bool nonzero) {
    static const int64_t kInts[] = {0, 1, -1, 3, -7, 63, 64, 255, INT64_MAX, INT64_MIN};
    static const uint64_t kUInts[] = {0, 5, UINT64_MAX, uint64_t{1} << 63};
    static const double kFloats[] = {0.0, 2.5, -0.5, 1e300, 3.0};
    Leaf l{t, 0};
    switch (t) {
      case T::Int: {
        int64_t v = kInts[nonzero ? 1 + pick(9) : pick(10)];
        l.bits = static_cast<uint64_t>(v);
        // A literal is never negative: write the value as a subtraction from 0.
        folded = v >= 0 ? std::to_string(v) : v == INT64_MIN ? "(0 - 9223372036854775807 - 1)"
                                                             : "(0 - " + std::to_string(-v) + ")";
        break;
      }
      case T::UInt: {
        // Only literals above INT64_MAX are uints: a smaller value is a sum of two that wraps.
        uint64_t v = kUInts[nonzero ? 1 + pick(3) : pick(4)];
        l.bits = v;
        folded = v > uint64_t{INT64_MAX} ? std::to_string(v)
                                         : "(9223372036854775808 + " + std::to_string(v + (uint64_t{1} << 63)) + ")";
        break;
      }
      case T::Float: {
        double v = kFloats[pick(5)];
        l.bits = std::bit_cast<uint64_t>(v);
        folded = v < 0 ? "(0 - " + std::to_string(-v) + ")" : v == 1e300 ? "1e300" : std::to_string(v);
        break;
      }
      case T::Bool: break;
    }
    run = "$v" + std::to_string(leaves.size());
    leaves.push_back(l);
  }

  static void binary(const std::string& op, const std::string& a, const std::string& ra, const std::string& b,
                     const std::string& rb, std::string& folded, std::string& run) {
    folded = "(" + a + " " + op + " " + b + ")";
    run = "(" + ra + " " + op + " " + rb + ")";
  }

  std::mt19937 rng_;
};

bool same(const pvm::Field* a, const pvm::Field* b) {
  if (a == nullptr || b == nullptr) return a == b;  // a float that is not finite is not set
  if (a->type != b->type) return false;
  switch (a->type) {
    case pvm::ValueType::Float: return std::bit_cast<uint64_t>(a->f) == std::bit_cast<uint64_t>(b->f);
    case pvm::ValueType::Bool: return a->b == b->b;
    default: return a->u == b->u;
  }
}

// One program of `count` expressions: compiles it, decodes its frame and compares each pair.
void check_batch(Generator& g, int count) {
  std::string consts, body;
  std::vector<uint8_t> frame;
  std::vector<std::string> shown;
  int var = 0;
  for (int k = 0; k < count; ++k) {
    static const T kTypes[] = {T::Int, T::UInt, T::Float, T::Bool};
    std::string folded, run;
    std::vector<Leaf> leaves;
    g.gen(kTypes[k % 4], 3, folded, run, leaves);
    consts += "const C" + std::to_string(k) + " = " + folded + "\n";
    // Rename the leaves' variables to ones unique in the packet, read in order from the frame.
    for (size_t j = leaves.size(); j-- > 0;) {
      const std::string from = "$v" + std::to_string(j), to = "$x" + std::to_string(var + static_cast<int>(j));
      for (size_t at = run.find(from); at != std::string::npos; at = run.find(from, at + to.size())) {
        if (at + from.size() < run.size() && std::isdigit(static_cast<unsigned char>(run[at + from.size()]))) continue;
        run.replace(at, from.size(), to);
      }
    }
    for (const Leaf& l : leaves) {
      const char* read = l.type == T::Int ? "i64" : l.type == T::UInt ? "u64" : "f64";
      body += "    $x" + std::to_string(var++) + " = " + read + "\n";
      for (int b = 7; b >= 0; --b) frame.push_back(static_cast<uint8_t>(l.bits >> (8 * b)));
    }
    body += "    emit {\n        #custom.c = C" + std::to_string(k) + "\n        #custom.r = " + run + "\n    }\n";
    shown.push_back(folded);
  }
  auto r = ctest::compile("protocol fold\n" + consts + "packet tcp {\n" + body + "}\n");
  INFO(ctest::rendered(r));
  REQUIRE(r.ok);
  std::string error;
  auto program = pvm::Program::load(std::move(r.module), error);
  REQUIRE(program != nullptr);
  pvm::Session session(program, {});
  size_t checked = 0;
  session.feed_frame(frame, [&](const pvm::FrameResult& f) {
    REQUIRE(f.error == nullptr);
    REQUIRE(f.messages.size() == shown.size());
    for (size_t k = 0; k < f.messages.size(); ++k) {
      INFO(shown[k]);
      CHECK(same(f.messages[k].find("custom.c"), f.messages[k].find("custom.r")));
      ++checked;
    }
  });
  CHECK(checked == shown.size());
}

}  // namespace

TEST_CASE("folding: constants fold to what the same expression computes at run time") {
  // Batches keep each packet's variables within a function's registers.
  Generator g(20260611);
  for (int batch = 0; batch < 8; ++batch) check_batch(g, 250);
}
