// The message builder's index, white-box: names that differ only in their last bytes, as a
// device's numbered inputs do, must not share the slot where their probe starts. The JIT adds a
// field natively only when that slot is free, so names sharing it sent every set to the helper.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "message_builder.h"

namespace {

size_t slots(const std::vector<std::string>& names) {
  std::set<uint32_t> taken;
  for (const std::string& name : names)
    taken.insert(pvm::detail::MessageBuilder::hash(name) & (pvm::detail::MessageBuilder::kIndexSize - 1));
  return taken.size();
}

std::vector<std::string> numbered(const std::string& prefix, int count) {
  std::vector<std::string> names;
  for (int k = 1; k <= count; ++k) names.push_back(prefix + std::to_string(k));
  return names;
}

}  // namespace

TEST_SUITE("vm message builder") {
  TEST_CASE("names alike start their probes in different slots") {
    CHECK(slots(numbered("din.", 8)) == 8);
    CHECK(slots(numbered("ain.", 8)) == 8);
    CHECK(slots(numbered("dout.", 4)) == 4);
    CHECK(slots({"gsm.mcc", "gsm.mnc", "gsm.lac", "gsm.cellid"}) == 4);
    // Hundreds of names in 2,048 slots share some, as random ones would: about 444 of 500.
    CHECK(slots(numbered("teltonika.io.", 500)) >= 420);
  }

  TEST_CASE("the names vm_ops sets to share a first slot do share it") {
    CHECK(slots({"p.1", "p.2656", "p.2968"}) == 1);
  }
}
