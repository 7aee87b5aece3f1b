#!/usr/bin/env python3
"""The side-by-side benchmarks behind bench/run.sh: each part runs PVM and its hand-written
counterpart on the same input in the same run and stores ratios in RESULTS/PART.json; `table`
prints them all. Every ratio is hand-written time / PVM time (for rates, PVM rate / hand-written
rate): higher is better, 1.0 is as fast.

  harness.py inprocess --build DIR --results DIR
  harness.py process   --build DIR --streams DIR --results DIR [--runs N]
  harness.py gateway   --build DIR --streams DIR --results DIR [--connections N] [--idle N] ...
  harness.py mqtt      --build DIR --streams DIR --results DIR [--seconds S]
  harness.py table     --results DIR
"""

import argparse
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOCOLS = ["teltonika", "ruptela", "gt06", "wialon_ips"]
NAMES = {"teltonika": "Teltonika 8E", "ruptela": "Ruptela", "gt06": "GT06", "wialon_ips": "Wialon IPS"}
# design.md section 6: the ratio each row must reach, by engine.
TARGETS = {
    ("decode", "interpreter"): 0.33,
    ("decode", "jit"): 0.8,
    ("decode", "jit, cached"): 0.8,
    ("json", "interpreter"): 0.75,
    ("json", "jit"): 0.9,
    ("json", "jit, cached"): 0.9,
    ("gateway", None): 0.9,
    ("latency", None): 1 / 1.2,
    ("mqtt", None): 0.8,
}


def die(why):
    print(f"harness: {why}", file=sys.stderr)
    sys.exit(1)


def tools(build):
    t = {
        "pvm": os.path.join(build, "cli", "pvm"),
        "bench": os.path.join(build, "bench", "pvm_bench"),
        "decode": os.path.join(build, "bench", "baselines", "pvm_baseline_decode"),
        "gateway": os.path.join(build, "bench", "baselines", "pvm_epoll_gateway"),
        "publisher": os.path.join(build, "bench", "baselines", "pvm_mqtt_publisher"),
        "load": os.path.join(build, "bench", "load", "pvm_gateway_load"),
    }
    return t


def env():
    e = dict(os.environ)
    e["PVM_STDLIB"] = os.path.join(ROOT, "stdlib-protocols")
    return e


def save(results, part, rows):
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, f"{part}.json"), "w") as f:
        json.dump(rows, f, indent=1)


def raise_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            die(f"{what} exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    die(f"{what} did not listen on port {port}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- in process ----

def inprocess(args):
    t = tools(args.build)
    out = os.path.join(args.results, "inprocess-raw.json")
    os.makedirs(args.results, exist_ok=True)
    subprocess.run([t["bench"], f"--benchmark_repetitions={args.repetitions}", "--benchmark_report_aggregates_only=true",
                    f"--benchmark_min_time={args.min_time}", "--benchmark_format=console", f"--benchmark_out={out}",
                    "--benchmark_out_format=json"], check=True, env=env(), stdout=sys.stderr)
    medians = {}
    for b in json.load(open(out))["benchmarks"]:
        if b.get("aggregate_name") == "median" and not b.get("error_occurred"):
            medians[b["run_name"]] = b["cpu_time"]
    rows = []
    for mode in ["decode", "json"]:
        for protocol in PROTOCOLS:
            base = medians.get(f"{mode}/{protocol}/hand-written")
            for engine in ["interpreter", "jit"]:
                vm = medians.get(f"{mode}/{protocol}/{engine}")
                if base is None or vm is None:
                    continue
                rows.append({"part": "in process", "kind": mode, "protocol": protocol, "engine": engine,
                             "hand_ms": base, "pvm_ms": vm, "ratio": base / vm})
    if "compile/teltonika" in medians:
        rows.append({"part": "in process", "kind": "compile", "protocol": "teltonika", "engine": None,
                     "pvm_ms": medians["compile/teltonika"]})
    save(args.results, "inprocess", rows)


# ---- whole process ----

def child_times(cmd):
    """Runs cmd with its output discarded; returns (CPU seconds user+system, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        die(f"{' '.join(cmd)} exited with status {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def jit_decode_args(pvm):
    """The `pvm decode` flags that select the JIT, when the CLI has them ($PVM_DECODE_JIT_ARGS
    overrides the guess)."""
    if "PVM_DECODE_JIT_ARGS" in os.environ:
        return os.environ["PVM_DECODE_JIT_ARGS"].split()
    text = subprocess.run([pvm, "decode", "--help"], capture_output=True, text=True).stdout
    return ["--jit"] if "--jit" in text else None


def jit_serve(pvm):
    """Whether `pvm serve --jit` of this build runs native code: it takes the flag, and loading
    the protocol with the JIT does not fall back to the interpreter."""
    help_text = subprocess.run([pvm, "serve", "--help"], capture_output=True, text=True).stdout
    if "--jit" not in help_text:
        return False
    probe = subprocess.run([pvm, "decode", "--jit", "-p", "teltonika", "--output", "none", os.devnull],
                           capture_output=True, text=True)
    return probe.returncode == 0 and "the JIT is not used" not in probe.stderr


def process(args):
    t = tools(args.build)
    engines = [("interpreter", [])]
    jit = jit_decode_args(t["pvm"])
    cache = tempfile.mkdtemp(prefix="pvm-bench-jit-")
    if jit:
        # "jit" compiles on every run; "jit, cached" loads the code the first (untimed) run of
        # each protocol compiled and kept in --jit-cache, as every later run of a user does.
        help_text = subprocess.run([t["pvm"], "decode", "--help"], capture_output=True, text=True).stdout
        if "--jit-cache" in help_text:
            engines.append(("jit", jit + ["--no-jit-cache"]))
            engines.append(("jit, cached", jit + ["--jit-cache", cache]))
        else:
            engines.append(("jit", jit))
    # Every engine takes the module from --module-cache, which the first (untimed) run of each
    # protocol fills, as a user's first run does; kept apart from the user's own cache.
    decode_help = subprocess.run([t["pvm"], "decode", "--help"], capture_output=True, text=True).stdout
    modules = ["--module-cache", os.path.join(cache, "modules")] if "--module-cache" in decode_help else []
    rows = []
    for protocol in PROTOCOLS:
        stream = os.path.join(args.streams, f"{protocol}.bin")
        for mode in ["none", "json"]:
            base_cmd = [t["decode"], "-p", protocol, "--output", mode, stream]
            base_out = subprocess.run(base_cmd, capture_output=True, env=env()).stdout
            for engine, flags in engines:
                pvm_cmd = [t["pvm"], "decode", "-p", protocol, *flags, *modules, "--output", mode, stream]
                pvm_run = subprocess.run(pvm_cmd, capture_output=True, env=env())
                pvm_out = pvm_run.stdout
                # A pvm without the JIT, or a protocol it does not compile: the interpreter would be timed.
                if engine.startswith("jit") and b"the JIT is not used" in pvm_run.stderr:
                    print(f"  {protocol:10} --output {mode:4} jit: not timed: {pvm_run.stderr.decode().strip()}",
                          file=sys.stderr)
                    continue
                if pvm_out != base_out or not pvm_out:
                    die(f"{protocol} --output {mode}: pvm decode ({engine}) and the hand-written decoder write "
                        "different output; nothing was timed")
                pvm_cpu, base_cpu, pvm_wall, base_wall = [], [], [], []
                for i in range(args.runs):
                    # Alternated, and each program first in every other round.
                    order = [(pvm_cmd, pvm_cpu, pvm_wall), (base_cmd, base_cpu, base_wall)]
                    for cmd, cpu, wall in (order if i % 2 == 0 else order[::-1]):
                        c, w = child_times(cmd)
                        cpu.append(c)
                        wall.append(w)
                p, b = statistics.median(pvm_cpu), statistics.median(base_cpu)
                rows.append({"part": "whole process", "kind": "decode" if mode == "none" else "json",
                             "protocol": protocol, "engine": engine, "runs": args.runs,
                             "hand_ms": b * 1000, "pvm_ms": p * 1000, "ratio": b / p,
                             "hand_wall_ms": statistics.median(base_wall) * 1000,
                             "pvm_wall_ms": statistics.median(pvm_wall) * 1000})
                print(f"  {protocol:10} --output {mode:4} {engine:11} pvm {p * 1000:7.1f} ms  hand-written "
                      f"{b * 1000:7.1f} ms  ratio {b / p:.2f}", file=sys.stderr)
    shutil.rmtree(cache, ignore_errors=True)
    save(args.results, "process", rows)


# ---- gateway ----

class Server:
    """pvm serve with a jsonl sink, or the epoll gateway, on a fresh port and output file."""

    def __init__(self, kind, args, work, sink=None):
        t = tools(args.build)
        self.port = free_port()
        self.out = os.path.join(work, f"{kind}-{self.port}.jsonl")
        if kind in ("pvm", "pvm-jit"):
            cmd = [t["pvm"], "serve", "--listen", f"teltonika@tcp://127.0.0.1:{self.port}",
                   "--sink", sink or f"jsonl:{self.out}", "--workers", str(args.workers), "--log-level", "warn"]
            if kind == "pvm-jit":
                cmd.append("--jit")
        else:
            cmd = [t["gateway"], "--port", str(self.port), "--out", self.out, "--threads", str(args.workers)]
        self.log = open(os.path.join(work, f"{kind}-{self.port}.log"), "wb")
        self.proc = subprocess.Popen(cmd, env=env(), stdout=self.log, stderr=self.log, preexec_fn=raise_fd_limit)
        wait_listening(self.port, self.proc, kind)

    def close(self):
        stop(self.proc)
        self.log.close()
        if os.path.exists(self.out):
            os.remove(self.out)


def load(args, server, extra):
    """Runs the load generator against `server`; meanwhile empties the server's output file every
    half second, so that a long run neither fills memory nor waits for the disk."""
    t = tools(args.build)
    cmd = [t["load"], "--port", str(server.port), "--pid", str(server.proc.pid), *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=raise_fd_limit)
    while proc.poll() is None:
        time.sleep(0.5)
        if os.path.exists(server.out):
            os.truncate(server.out, 0)
    out, err = proc.communicate()
    if proc.returncode != 0:
        die(f"load generator: {err.strip()}")
    return json.loads(out)


def scratch_dir(prefix):
    """Output files live in memory (/dev/shm when there is one): disk writeback would stall
    whichever gateway happens to run after a large write."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def gateway(args):
    work = scratch_dir("pvm-bench-gateway-")
    stream = os.path.join(args.streams, "teltonika.bin")
    # pvm serve on either engine (the JIT when this build has it) and the epoll gateway.
    jit = jit_serve(tools(args.build)["pvm"])
    kinds = ["pvm", "pvm-jit", "epoll"] if jit else ["pvm", "epoll"]
    measured = {k: {} for k in kinds}
    try:
        phases = [
            ("throughput", ["--stream", stream, "--connections", str(args.connections), "--seconds", str(args.seconds),
                            "--warmup", str(args.warmup)]),
            ("latency", ["--stream", stream, "--connections", str(args.connections), "--seconds", str(args.seconds),
                         "--warmup", str(args.warmup), "--interval-ms", str(args.interval_ms)]),
            ("idle", ["--idle", str(args.idle)]),
        ]
        for n, (phase, extra) in enumerate(phases):
            rounds = 1 if phase == "idle" else args.rounds
            # The engine does not change what an idle connection holds.
            phase_kinds = [k for k in kinds if phase != "idle" or k != "pvm-jit"]
            runs = {k: [] for k in phase_kinds}
            for round_ in range(rounds):
                # Order reversed every other round: no server always inherits another's wake.
                for kind in (phase_kinds if (n + round_) % 2 == 0 else phase_kinds[::-1]):
                    server = Server(kind, args, work)
                    try:
                        runs[kind].append(load(args, server, extra))
                    finally:
                        server.close()
                    print(f"  {phase:10} {kind:5} {json.dumps(runs[kind][-1])}", file=sys.stderr)
            for kind in phase_kinds:  # the median of every number over the rounds
                measured[kind][phase] = {key: statistics.median(r[key] for r in runs[kind]) for key in runs[kind][0]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    p, e = measured["pvm"], measured["epoll"]

    def engine_rows(engine, m):
        return [
            {"part": "gateway", "kind": "gateway", "engine": engine, "connections": args.connections,
             "rounds": args.rounds,
             "pvm": m["throughput"]["records_per_cpu_second"], "hand": e["throughput"]["records_per_cpu_second"],
             "ratio": m["throughput"]["records_per_cpu_second"] / e["throughput"]["records_per_cpu_second"]},
            {"part": "gateway", "kind": "latency", "engine": engine, "connections": args.connections,
             "interval_ms": args.interval_ms,
             "pvm": {q: m["latency"][q] for q in ["p50_ms", "p99_ms", "p999_ms"]},
             "hand": {q: e["latency"][q] for q in ["p50_ms", "p99_ms", "p999_ms"]},
             "ratio": e["latency"]["p99_ms"] / m["latency"]["p99_ms"] if m["latency"]["p99_ms"] else 0},
        ]

    rows = engine_rows("interpreter", p) + (engine_rows("jit", measured["pvm-jit"]) if jit else [])
    rows += [
        {"part": "gateway", "kind": "idle", "engine": None, "connections": args.idle,
         "pvm": p["idle"]["bytes_per_connection"], "hand": e["idle"]["bytes_per_connection"]},
        {"part": "gateway", "kind": "raw", "pvm": p, "hand": e, "jit": measured.get("pvm-jit")},
    ]
    save(args.results, "gateway", rows)


# ---- MQTT ----

class Broker:
    def __init__(self, work):
        self.port = free_port()
        conf = os.path.join(work, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
            # Started as root, mosquitto would switch to its own user.
            f.write(f"user {pwd.getpwuid(os.getuid()).pw_name}\n")
            # No cap on QoS 1 messages in flight; a bounded queue per client; PUBACKs not held
            # back by Nagle's algorithm.
            f.write("max_inflight_messages 0\nmax_queued_messages 100000\nset_tcp_nodelay true\n")
        self.log = open(os.path.join(work, "mosquitto.log"), "wb")
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([mosquitto, "-c", conf], stdout=self.log, stderr=self.log)
        wait_listening(self.port, self.proc, "mosquitto")

    def close(self):
        stop(self.proc)
        self.log.close()


def mqtt(args):
    t = tools(args.build)
    work = scratch_dir("pvm-bench-mqtt-")
    try:
        messages = os.path.join(work, "messages.jsonl")
        lines = subprocess.run([t["pvm"], "decode", "-p", "teltonika", os.path.join(args.streams, "teltonika.bin")],
                               capture_output=True, env=env(), check=True).stdout.split(b"\n")
        with open(messages, "wb") as f:
            f.write(b"\n".join(lines[:20000]) + b"\n")
        broker = Broker(work)
        publisher = {}
        pvm = None
        try:
            # libmosquitto looks a PUBACK up in a list of the messages in flight, so the best
            # window is found, not assumed: the publisher's best rate is the baseline.
            for n, window in enumerate(args.windows):
                r = subprocess.run([t["publisher"], "--port", str(broker.port), "--messages", messages, "--seconds",
                                    str(args.seconds), "--warmup", "1", "--window", str(window), "--clients",
                                    str(args.workers)], capture_output=True, text=True)
                if r.returncode != 0:
                    die(f"publisher: {r.stderr.strip()}")
                publisher[window] = json.loads(r.stdout)
                print(f"  publisher window {window}: {r.stdout.strip()}", file=sys.stderr)
                if n == 0:  # pvm serve between the publisher's runs
                    server = Server("pvm", args, work, sink=f"mqtt://127.0.0.1:{broker.port}")
                    try:
                        pvm = load(args, server, ["--stream", os.path.join(args.streams, "teltonika.bin"),
                                                  "--connections", str(args.connections), "--seconds",
                                                  str(args.seconds), "--warmup", "1"])
                    finally:
                        server.close()
                    print(f"  pvm serve --sink mqtt: {json.dumps(pvm)}", file=sys.stderr)
        finally:
            broker.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    best = max(publisher.values(), key=lambda r: r["records_per_second"])
    save(args.results, "mqtt", [{"part": "mqtt", "kind": "mqtt", "engine": "interpreter",
                                 "pvm": pvm["records_per_second"], "hand": best["records_per_second"],
                                 "window": best["window"], "ratio": pvm["records_per_second"] / best["records_per_second"],
                                 "publisher": list(publisher.values()), "pvm_run": pvm}])


# ---- the table ----

def verdict(ratio, target):
    """Met, or by how much PVM must speed up (the factor that takes the ratio to the target)."""
    if ratio >= target:
        return f"met (>= {target:.2f})"
    return f"missed (>= {target:.2f}): needs {target / ratio:.2f}x" if ratio > 0 else f"missed (>= {target:.2f})"


def table(args):
    rows = []
    for part in ["inprocess", "process", "gateway", "mqtt"]:
        path = os.path.join(args.results, f"{part}.json")
        if os.path.exists(path):
            rows += json.load(open(path))
    if not rows:
        die(f"no results in {args.results}")
    out = ["| part | measure | engine | PVM | hand-written | ratio | target |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        kind, engine = r["kind"], r.get("engine")
        if kind in ("decode", "json"):
            what = ("decode" if kind == "decode" else "decode + JSON") + f", {NAMES[r['protocol']]}"
            unit = "ms CPU"
            out.append(f"| {r['part']} | {what} | {engine} | {r['pvm_ms']:.1f} {unit} | {r['hand_ms']:.1f} {unit} | "
                       f"{r['ratio']:.2f} | {verdict(r['ratio'], TARGETS[(kind, engine)])} |")
        elif kind == "compile":
            out.append(f"| {r['part']} | compile teltonika.pvm | | {r['pvm_ms']:.2f} ms | | | |")
        elif kind == "gateway":
            out.append(f"| gateway | records per CPU-second, {r['connections']} connections, closed loop | {engine} | "
                       f"{r['pvm']:,.0f} | {r['hand']:,.0f} | {r['ratio']:.2f} | "
                       f"{verdict(r['ratio'], TARGETS[('gateway', None)])} (JIT) |")
        elif kind == "latency":
            p, h = r["pvm"], r["hand"]
            out.append(f"| gateway | ACK latency p50/p99/p99.9 ms, {r['connections']} connections, a packet each per "
                       f"{r['interval_ms']} ms | {engine} | {p['p50_ms']:.2f} / {p['p99_ms']:.2f} / {p['p999_ms']:.2f} | "
                       f"{h['p50_ms']:.2f} / {h['p99_ms']:.2f} / {h['p999_ms']:.2f} | {r['ratio']:.2f} (p99) | "
                       f"{verdict(r['ratio'], TARGETS[('latency', None)])} (p99 within 1.2x) |")
        elif kind == "idle":
            met = "met (< 16 KiB)" if r["pvm"] < 16384 else "MISSED (< 16 KiB)"
            out.append(f"| gateway | resident memory per idle connection, {r['connections']:,} connections | | "
                       f"{r['pvm'] / 1024:.1f} KiB | {r['hand'] / 1024:.1f} KiB | | {met} |")
        elif kind == "mqtt":
            out.append(f"| mqtt | QoS 1 records/s to a local mosquitto (publisher window {r['window']}) | {engine} | "
                       f"{r['pvm']:,.0f} | {r['hand']:,.0f} | {r['ratio']:.2f} | "
                       f"{verdict(r['ratio'], TARGETS[('mqtt', None)])} |")
    print("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    common.add_argument("--streams", default=os.path.join(ROOT, "build-bench", "streams"))
    common.add_argument("--results", default=os.path.join(ROOT, "build-bench", "results"))
    common.add_argument("--workers", type=int, default=2, help="gateway threads, and MQTT clients")
    common.add_argument("--connections", type=int, default=2000)
    common.add_argument("--seconds", type=float, default=8)
    p = sub.add_parser("inprocess", parents=[common])
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--min-time", type=float, default=0.5)
    p = sub.add_parser("process", parents=[common])
    p.add_argument("--runs", type=int, default=7)
    p = sub.add_parser("gateway", parents=[common])
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--interval-ms", type=float, default=1000, help="open loop: a packet per connection this often")
    p.add_argument("--idle", type=int, default=10000)
    p.add_argument("--rounds", type=int, default=3, help="alternated runs of each server per phase (medians)")
    p = sub.add_parser("mqtt", parents=[common])
    p.add_argument("--windows", type=int, nargs="+", default=[20, 200, 2000])
    sub.add_parser("table", parents=[common])
    args = parser.parse_args()
    if args.part == "mqtt" and args.connections == 2000:
        args.connections = 200  # enough to keep the sink busy, one packet in flight each
    {"inprocess": inprocess, "process": process, "gateway": gateway, "mqtt": mqtt, "table": table}[args.part](args)


if __name__ == "__main__":
    main()
