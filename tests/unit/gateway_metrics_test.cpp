// /metrics: worker shards summed, every error reason present, histogram buckets cumulative.
#include <doctest/doctest.h>

#include "metrics.h"

using namespace pvm::gateway;

TEST_CASE("gateway: metrics rendering") {
  Metrics m({{"teltonika", "tcp"}, {"teltonika", "udp"}}, 2);
  m.worker(0).series[0].frames.add(3);
  m.worker(1).series[0].frames.add(4);
  m.worker(1).series[1].errors[static_cast<size_t>(Reason::BadFrame)].add();
  m.worker(0).sink_latency.observe(0.0005);  // on a bound: that bucket
  m.worker(1).sink_latency.observe(0.0006);
  m.worker(1).sink_latency.observe(100);  // past the last bound: +Inf only
  const std::string text = m.render();
  CHECK(text.find("pvm_frames_total{protocol=\"teltonika\",transport=\"tcp\"} 7\n") != std::string::npos);
  CHECK(text.find("pvm_errors_total{protocol=\"teltonika\",transport=\"udp\",reason=\"bad_frame\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("reason=\"udp_backlog\"") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{le=\"0.001\"} 2\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{le=\"5\"} 2\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_count 3\n") != std::string::npos);
  CHECK(text.find("# TYPE pvm_sink_queue_depth gauge\n") != std::string::npos);
  CHECK(reason_of(pvm::Trap::Rejected) == Reason::Rejected);
  CHECK(reason_name(Reason::UdpBacklog) == "udp_backlog");
}
