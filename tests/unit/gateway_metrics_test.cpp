// /metrics: worker shards summed, every error reason present, histogram buckets cumulative,
// labels escaped, the build and process metrics present.
#include <doctest/doctest.h>

#include "metrics.h"

using namespace pvm::gateway;

TEST_CASE("gateway: metrics rendering") {
  Metrics m({{"teltonika", "tcp"}, {"teltonika", "udp"}}, {"stdout", "jsonl:/var/lib/pvm/a\"b.jsonl"}, 2);
  m.worker(0).series[0].frames.add(3);
  m.worker(1).series[0].frames.add(4);
  m.worker(1).series[1].errors[static_cast<size_t>(Reason::BadFrame)].add();
  m.worker(0).sink_latency[1]->observe(0.0005);  // on a bound: that bucket
  m.worker(1).sink_latency[1]->observe(0.0006);
  m.worker(1).sink_latency[1]->observe(100);  // past the last bound: +Inf only
  m.worker(0).series[1].decode.observe(0.000003);
  m.worker(1).series[1].decode.observe(0.000004);
  m.worker(1).series[0].ack.observe(0.002);
  const std::string text = m.render();
  CHECK(text.find("pvm_frames_total{protocol=\"teltonika\",transport=\"tcp\"} 7\n") != std::string::npos);
  CHECK(text.find("pvm_errors_total{protocol=\"teltonika\",transport=\"udp\",reason=\"bad_frame\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("reason=\"udp_backlog\"") != std::string::npos);
  // Per sink, the label escaped as the text format requires.
  const std::string jsonl = "sink=\"jsonl:/var/lib/pvm/a\\\"b.jsonl\"";
  CHECK(text.find("pvm_sink_latency_seconds_bucket{" + jsonl + ",le=\"0.0005\"} 1\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{" + jsonl + ",le=\"0.001\"} 2\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{" + jsonl + ",le=\"5\"} 2\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_bucket{" + jsonl + ",le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_count{" + jsonl + "} 3\n") != std::string::npos);
  CHECK(text.find("pvm_sink_latency_seconds_count{sink=\"stdout\"} 0\n") != std::string::npos);
  // Decode time and ACK latency per protocol and transport, sums in nanoseconds.
  CHECK(text.find("pvm_decode_seconds_bucket{protocol=\"teltonika\",transport=\"udp\",le=\"2.5e-06\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("pvm_decode_seconds_bucket{protocol=\"teltonika\",transport=\"udp\",le=\"5e-06\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("pvm_decode_seconds_sum{protocol=\"teltonika\",transport=\"udp\"} 0.000007000\n") !=
        std::string::npos);
  CHECK(text.find(
            "pvm_ack_latency_seconds_bucket{protocol=\"teltonika\",transport=\"tcp\",le=\"0.001\"} 0\n") !=
        std::string::npos);
  CHECK(text.find(
            "pvm_ack_latency_seconds_bucket{protocol=\"teltonika\",transport=\"tcp\",le=\"0.0025\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE pvm_sink_queue_depth gauge\n") != std::string::npos);
  CHECK(text.find("pvm_build_info{version=\"" + build_info().version + "\",commit=\"") != std::string::npos);
  CHECK(text.find(",jit=\"false\"} 1\n") != std::string::npos);
  m.set_jit(true);  // every protocol runs on the JIT
  CHECK(m.render().find(",jit=\"true\"} 1\n") != std::string::npos);
  CHECK(text.find("# TYPE pvm_jit_compiling gauge\npvm_jit_compiling 0\n") != std::string::npos);
  m.set_jit_compiling(2);  // two protocols wait for their code
  CHECK(m.render().find("\npvm_jit_compiling 2\n") != std::string::npos);
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_open_fds ", "process_start_time_seconds ", "process_max_fds "})
    CHECK(text.find(std::string("\n") + name) != std::string::npos);
  CHECK(reason_of(pvm::Trap::Rejected) == Reason::Rejected);
  CHECK(reason_name(Reason::UdpBacklog) == "udp_backlog");
}
