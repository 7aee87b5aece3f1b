"""Load numbers for the gateway on loopback (not a ctest test; docs/operations.md quotes it):

  python3 tests/e2e/gateway_load.py --pvm build/cli/pvm [--sink stdout|mqtt] [--idle 10000]

- throughput: client processes keep connections busy with Teltonika packets of many records,
  one packet in flight per connection; reported as messages per second and per CPU-second of
  the gateway (its user+system time), with the ACK latency the clients saw (p50, p99);
- memory per idle connection: the gateway's resident memory grows by this much for each
  logged-in device that then stays silent."""

import argparse
import multiprocessing
import os
import resource
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway_e2e import Broker, Gateway, Workdir, _read_exact, free_port, imei_of, tcp_login, tcp_packet  # noqa: E402


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def client(port, first, count, records, seconds, queue):
    raise_fd_limit()
    conns = []
    for d in range(first, first + count):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(tcp_login(imei_of(d)))
        _read_exact(s, 1)
        conns.append((s, d))
    packets = {d: [tcp_packet(d, p, records) for p in range(16)] for _, d in conns}
    latencies, sent = [], 0
    start = time.monotonic()
    end = start + seconds
    i = 0
    while time.monotonic() < end:
        starts = []
        for s, d in conns:
            s.sendall(packets[d][i % 16])
            starts.append(time.monotonic())
        for (s, _), t in zip(conns, starts):
            assert _read_exact(s, 4) == struct.pack(">I", records)
            latencies.append(time.monotonic() - t)
        sent += len(conns)
        i += 1
    queue.put((sent * records, latencies, time.monotonic() - start))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def throughput(args, work, sink_flags):
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}"] + sink_flags
                      + ["--log-level", "warn"])
    gateway.start()
    try:
        queue = multiprocessing.Queue()
        per = args.connections // args.clients
        procs = [multiprocessing.Process(target=client, args=(port, 1000 + c * per, per, args.records, args.seconds,
                                                              queue)) for c in range(args.clients)]
        cpu0 = cpu_seconds(gateway.proc.pid)
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        cpu = cpu_seconds(gateway.proc.pid) - cpu0
        elapsed = max(r[2] for r in results)
        for p in procs:
            p.join()
        messages = sum(r[0] for r in results)
        latencies = sorted(x for r in results for x in r[1])
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[int(len(latencies) * 0.99)] * 1000
        print(f"throughput ({' '.join(sink_flags)}): {messages} messages in {elapsed:.1f}s = "
              f"{messages / elapsed:,.0f} msg/s; gateway CPU {cpu:.2f}s = {messages / max(cpu, 1e-9):,.0f} msg per "
              f"CPU-second; ACK latency p50 {p50:.2f} ms, p99 {p99:.2f} ms ({args.records} records per packet, "
              f"{args.connections} connections)")
    finally:
        gateway.stop()


def idle_memory(args, work):
    raise_fd_limit()
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}", "--sink", "stdout",
                                       "--log-level", "warn"])
    gateway.start()
    try:
        conns = []
        for d in range(200):  # warm up the allocator and the workers' buffers
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(tcp_login(imei_of(d)))
            _read_exact(s, 1)
            conns.append(s)
        time.sleep(0.5)
        before = rss_kib(gateway.proc.pid)
        for d in range(200, 200 + args.idle):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(tcp_login(imei_of(d)))
            _read_exact(s, 1)
            conns.append(s)
        time.sleep(1.0)
        after = rss_kib(gateway.proc.pid)
        open_now = sum(v for k, v in gateway.metrics().items() if k.startswith("pvm_connections_open"))
        print(f"idle connections: {int(open_now)} open, resident memory {before} KiB -> {after} KiB: "
              f"{(after - before) * 1024 / args.idle:,.0f} bytes per idle logged-in connection")
        for s in conns:
            s.close()
    finally:
        gateway.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pvm", required=True)
    parser.add_argument("--sink", choices=["stdout", "mqtt"], default="stdout")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--records", type=int, default=25)
    parser.add_argument("--idle", type=int, default=10000)
    args = parser.parse_args()
    work = Workdir(False)
    try:
        if args.sink == "mqtt":
            broker = Broker(work)
            broker.start()
            try:
                throughput(args, work, ["--sink", f"mqtt://127.0.0.1:{broker.port}"])
            finally:
                broker.stop()
        else:
            throughput(args, work, ["--sink", "stdout"])
        if args.idle:
            idle_memory(args, work)
    finally:
        work.close()


if __name__ == "__main__":
    main()
