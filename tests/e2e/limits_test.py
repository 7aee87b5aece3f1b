"""The gateway's limits at their edges, set in a gateway.toml: a frame of exactly max_frame bytes
is decoded and one byte more is rejected; max_connections connections are served and the next
is closed at once; a silent device is dropped after idle_timeout; with max_pending_frames = 1 a
connection is not read while a frame waits for the broker, and the ACKs come in frame order;
rejected frames are all counted but only 5 a second per connection and 20 per worker are logged."""

import signal
import socket
import struct
import time

from gateway_e2e import (Broker, Gateway, _read_exact, free_port, imei_of, run_main, tcp_login, tcp_packet,
                         wait_until)

MAX_FRAME = 200  # a codec 8 packet of 5 test records is exactly 200 bytes


def login(port, device):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(tcp_login(imei_of(device)))
    assert _read_exact(s, 1) == b"\x01"
    return s


def errors(gateway, reason):
    return gateway.metrics().get(f'pvm_errors_total{{protocol="teltonika",transport="tcp",reason="{reason}"}}', 0)


def closed_by_peer(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def frame_connection_and_idle_limits(args, work):
    port = free_port()
    config = work.file("limits.toml")
    with open(config, "w") as f:
        f.write(f'workers = 1\nserver_fields = false\nlisten = ["teltonika@tcp://127.0.0.1:{port}"]\nsinks = "jsonl:{work.file("m.jsonl")}"\n'
                f"[limits]\nmax_frame = {MAX_FRAME}\nmax_connections = 3\nidle_timeout = 2\n")
    gateway = Gateway(args.pvm, work, ["--config", config], "gateway-limits", workers=None)
    try:
        gateway.start()
        a, b, c = login(port, 1), login(port, 2), login(port, 3)
        fits = tcp_packet(1, 0, 5)
        assert len(fits) == MAX_FRAME
        a.sendall(fits)
        assert _read_exact(a, 4) == struct.pack(">I", 5), "a frame of max_frame bytes is decoded"
        # One byte more: rejected, and none of its records decoded (the protocol resynchronizes
        # on the bytes that follow, which may read as anything but a valid packet).
        c.sendall(tcp_packet(3, 0, 6))
        wait_until(lambda: errors(gateway, "bad_frame") >= 1, 5, "the frame over max_frame to be rejected")
        time.sleep(0.3)
        with open(work.file("m.jsonl")) as f:
            text = f.read()
            assert imei_of(3) not in text, "records of a frame over max_frame were decoded"
            assert imei_of(1) in text and '"peer"' not in text and "server.timestamp" not in text, \
                "server_fields = false leaves out server.timestamp and peer"

        d = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert closed_by_peer(d, 5), "the connection over max_connections is closed"
        # Workers publish their counters to /metrics a moment after they act.
        wait_until(lambda: errors(gateway, "connection_limit") >= 1, 5, "the refused connection to be counted")
        assert errors(gateway, "connection_limit") == 1

        started = time.monotonic()
        a.sendall(tcp_packet(1, 1, 1))  # a keeps talking, b stays silent
        assert _read_exact(a, 4) == struct.pack(">I", 1)
        assert closed_by_peer(b, 6), "the silent device is dropped"
        assert time.monotonic() - started >= 1.5, "dropped before idle_timeout"
        wait_until(lambda: errors(gateway, "idle_timeout") >= 1, 5, "the idle device to be counted")
        for s in (a, b, c, d):
            s.close()
    finally:
        gateway.stop()


def pending_frames_limit(args, work):
    broker = Broker(work)
    broker.start()
    port = free_port()
    config = work.file("pending.toml")
    with open(config, "w") as f:
        f.write(f'workers = 1\nlisten = ["teltonika@tcp://127.0.0.1:{port}"]\nsinks = "mqtt://127.0.0.1:{broker.port}"\n'
                "[limits]\nmax_pending_frames = 1\n")
    gateway = Gateway(args.pvm, work, ["--config", config], "gateway-pending", workers=None)
    try:
        gateway.start()
        s = login(port, 4)
        broker.proc.send_signal(signal.SIGSTOP)
        for packet in range(3):  # separate segments: each is its own read
            s.sendall(tcp_packet(4, packet, packet + 1))
            time.sleep(0.3)
        metrics = gateway.metrics()
        assert metrics['pvm_pending_frames{worker="0"}'] == 1, "more than max_pending_frames frames were read"
        assert metrics['pvm_sink_queue_depth{worker="0"}'] == 1
        broker.proc.send_signal(signal.SIGCONT)
        acks = [_read_exact(s, 4) for _ in range(3)]
        assert acks == [struct.pack(">I", n) for n in (1, 2, 3)], f"ACKs out of order: {acks}"

        # Rejected frames are all counted, but logged at most 5 a second for one connection and 20
        # a second for the worker.
        bad = bytearray(tcp_packet(4, 9, 1))
        bad[-1] ^= 0xFF
        s.sendall(bytes(bad) * 25)
        wait_until(lambda: errors(gateway, "rejected") == 25, 5, "25 rejected frames counted")
        logged = gateway.log().count('"frame rejected"')
        assert logged == 5, f"{logged} rejected frames of one connection logged in one second"
        time.sleep(1.2)
        others = [login(port, 10 + k) for k in range(5)]
        for o in others:
            o.sendall(bytes(bad) * 25)
        wait_until(lambda: errors(gateway, "rejected") == 150, 5, "150 rejected frames counted")
        logged = gateway.log().count('"frame rejected"') - 5
        assert logged == 20, f"{logged} rejected frames of five connections logged in one second"
        for o in others:
            o.close()
        s.close()
    finally:
        if broker.proc and broker.proc.poll() is None:
            broker.proc.send_signal(signal.SIGCONT)
        gateway.stop()
        broker.stop()


def body(args, work):
    frame_connection_and_idle_limits(args, work)
    pending_frames_limit(args, work)


if __name__ == "__main__":
    run_main(__doc__, body)
