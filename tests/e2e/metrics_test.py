"""/metrics answers questions: decode time and ACK latency per protocol, sink latency per sink,
pvm_build_info and the standard process_* metrics, each checked against what the test did (frames
sent, ACKs received, messages stored, the process's own /proc). With --jit, the log says when
the background compile is done, or why the interpreter runs, and pvm_build_info's jit label
agrees."""

import json
import os
import signal
import time

from gateway_e2e import (Gateway, TcpDevice, UdpDevice, free_port, make_fleet, run_main,
                         wait_until)

PACKETS = 5


def series(metrics, name, **labels):
    """The sample `name{labels...}`, labels in the order the gateway writes them."""
    key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    assert key in metrics, f"{key} is not in /metrics"
    return metrics[key]


def body(args, work):
    out = work.file("messages.jsonl")
    port = free_port()
    sink = f"jsonl:{out}"
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--listen", f"teltonika@udp://127.0.0.1:{port}", "--sink", sink])
    before = time.time()
    try:
        gateway.start()
        fleet = make_fleet(3, 2, PACKETS)
        devices = [TcpDevice(port, d, p) for d, p in fleet["tcp"]] + [UdpDevice(port, d, p) for d, p in fleet["udp"]]
        for d in devices:
            d.start()
        for d in devices:
            d.join(30)
        assert all(d.acked == PACKETS and d.sends == PACKETS for d in devices), "every packet ACKed at once"
        with open(out) as f:
            stored = sum(1 for _ in f)
        # The devices have closed their connections: once the gateway has too, its descriptors stay put.
        wait_until(lambda: gateway.metrics().get('pvm_connections_open{protocol="teltonika",transport="tcp"}') == 0,
                   10, "the gateway to close the devices' connections")
        text = gateway.get("/metrics")[1]
        metrics = gateway.metrics()
        tcp = dict(protocol="teltonika", transport="tcp")
        udp = dict(protocol="teltonika", transport="udp")
        # Every frame timed: 3 logins and 15 packets over TCP, 10 datagrams over UDP.
        assert series(metrics, "pvm_decode_seconds_count", **tcp) == 3 + 3 * PACKETS
        assert series(metrics, "pvm_decode_seconds_count", **udp) == 2 * PACKETS
        assert 0 < series(metrics, "pvm_decode_seconds_sum", **tcp) < 1
        # One ACK latency per frame that was answered: what the devices got.
        assert series(metrics, "pvm_ack_latency_seconds_count", **tcp) == 3 + 3 * PACKETS
        assert series(metrics, "pvm_ack_latency_seconds_count", **udp) == 2 * PACKETS
        inf = series(metrics, "pvm_ack_latency_seconds_bucket", **tcp, le="+Inf")
        assert inf == 3 + 3 * PACKETS
        # One sink latency per message stored.
        assert series(metrics, "pvm_sink_latency_seconds_count", sink=sink) == stored > 0
        # The build and the process.
        build = [line for line in text.splitlines() if line.startswith("pvm_build_info{")]
        assert len(build) == 1 and 'version="' in build[0] and ',jit="false"} 1' in build[0], build
        commit = build[0].split('commit="')[1].split('"')[0]
        assert commit == "unknown" or all(c in "0123456789abcdef" for c in commit), commit
        pid = gateway.proc.pid
        # The scrape's own connection is open while the gateway counts; it may or may not be closed
        # yet when the test looks.
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        assert fds <= series(metrics, "process_open_fds") <= fds + 1, f"open fds: {metrics['process_open_fds']}, {fds}"
        with open(f"/proc/{pid}/statm") as f:
            resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        assert abs(series(metrics, "process_resident_memory_bytes") - resident) < 16 << 20, "resident memory"
        assert before - 1 <= series(metrics, "process_start_time_seconds") <= time.time()
        assert 0 < series(metrics, "process_cpu_seconds_total") < 60
    finally:
        gateway.stop()
    assert gateway.proc.returncode == 0
    jit(args, work)


def jit_outcome(gateway, loads=1):
    """The log's "jit ready" or "jit not used" line of the last of `loads` loads, once its
    background compile has finished."""
    def events():
        return [json.loads(line) for line in gateway.log().splitlines()
                if '"event":"jit ready"' in line or '"event":"jit not used' in line]
    wait_until(lambda: len(events()) >= loads or gateway.proc.poll() is not None, 60,
               "the JIT's compile to finish")
    found = events()
    assert len(found) == loads, (found, gateway.log())
    return found[-1]


def jit(args, work):
    """With --jit the listeners open at once and the interpreter serves while the JIT compiles;
    pvm_build_info's jit label turns true when the code is ready, and a restart loads it from the
    cache."""
    cache = work.file("jit-cache")
    for run, code in (("jit", "compiled"), ("jit-again", "from the cache")):
        port = free_port()
        gateway = Gateway(args.pvm, work, ["--jit", "--jit-cache", cache,
                                           "--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                           "--sink", f"jsonl:{work.file(run + '.jsonl')}"], name=run)
        try:
            gateway.start()
            # Sent at once: a session that starts on the interpreter moves to the code when ready.
            devices = [TcpDevice(port, d, p) for d, p in make_fleet(2, 0, PACKETS)["tcp"]]
            for d in devices:
                d.start()
            outcome = jit_outcome(gateway)
            for d in devices:
                d.join(30)
            assert all(d.acked == PACKETS for d in devices), "every packet ACKed while and after the JIT compiles"
            assert outcome["protocol"] == "teltonika", outcome
            on_jit = outcome["event"] == "jit ready"
            if on_jit:
                assert outcome["level"] == "info" and outcome["code"] == code, (outcome, code)
                log = gateway.log()
                assert log.index('"event":"listening"') < log.index('"event":"jit ready"'), log
            else:
                assert outcome["level"] == "warn" and outcome["reason"], outcome
            build = [line for line in gateway.get("/metrics")[1].splitlines() if line.startswith("pvm_build_info{")]
            assert len(build) == 1 and f',jit="{str(on_jit).lower()}"}} 1' in build[0], (build, outcome)
            wait_until(lambda: gateway.metrics().get("pvm_jit_compiling") == 0, 5,
                       "pvm_jit_compiling to come down to 0 once the compile is done")
            if on_jit and run == "jit-again":
                # A reload loads the protocol again, its code from the cache, in the background too.
                gateway.signal(signal.SIGHUP)
                again = jit_outcome(gateway, loads=2)
                assert again["event"] == "jit ready" and again["code"] == "from the cache", again
                assert gateway.metrics()["pvm_jit_compiling"] == 0
                assert "protocols reloaded" in gateway.log()
                device = TcpDevice(port, *make_fleet(1, 0, PACKETS, first=5)["tcp"][0])
                device.start()
                device.join(30)
                assert device.acked == PACKETS, "every packet ACKed after the reload"
        finally:
            gateway.stop()
        assert gateway.proc.returncode == 0
        if not on_jit:
            return  # no JIT here: nothing is cached for a second run


if __name__ == "__main__":
    run_main(__doc__, body)
