"""JSON lines to a file, counted in /metrics, and protocols reloaded on SIGHUP: every message in
the file is what `pvm decode` gives, a rejected frame is counted by reason, a connection open
across the reload keeps working on the program it started with while new ones get the new
program, and a reload that does not compile leaves the running protocol in place."""

import json
import os
import shutil
import signal
import socket
import struct
from collections import Counter

from gateway_e2e import (ROOT, Gateway, TcpDevice, UdpDevice, _read_exact, check_acks, expected_for,
                         expected_messages, free_port, imei_of, make_fleet, run_main, strip_origin, tcp_login,
                         tcp_packet, wait_until)

TCP_DEVICES = 10
UDP_DEVICES = 5
PACKETS = 6
MARK = "#custom.reloaded = true"


def file_messages(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def connect(port, device):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(tcp_login(imei_of(device)))
    assert _read_exact(s, 1) == b"\x01"
    return s


def send(s, device, packet):
    s.sendall(tcp_packet(device, packet, 1))
    assert _read_exact(s, 4) == struct.pack(">I", 1), "no ACK"


def body(args, work):
    protocol = work.file("teltonika.pvm")
    shutil.copy(os.path.join(ROOT, "stdlib-protocols", "teltonika.pvm"), protocol)
    out = work.file("messages.jsonl")
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"{protocol}@tcp://127.0.0.1:{port}",
                                       "--listen", f"{protocol}@udp://127.0.0.1:{port}", "--sink", f"jsonl:{out}"])
    try:
        gateway.start()
        fleet = make_fleet(TCP_DEVICES, UDP_DEVICES, PACKETS)
        expected = expected_for(args.pvm, work, fleet)
        tcp = [TcpDevice(port, d, packets) for d, packets in fleet["tcp"]]
        udp = [UdpDevice(port, d, packets) for d, packets in fleet["udp"]]
        for device in tcp + udp:
            device.start()
        for device in tcp + udp:
            device.join(30)
        assert all(d.acked == PACKETS for d in tcp + udp)
        check_acks(tcp, expected["tcp"], "tcp")
        check_acks(udp, expected["udp"], "udp")
        with open(out) as f:
            got = Counter((f"pvm/teltonika/{json.loads(line)['ident']}", strip_origin(line.rstrip("\n")))
                          for line in f)
        assert got == expected_messages(fleet, expected), "the jsonl file differs from pvm decode"

        # A frame with a bad CRC: no ACK, counted by reason, the connection stays usable.
        s = connect(port, 900)
        bad = bytearray(tcp_packet(900, 0, 1))
        bad[-1] ^= 0xFF
        s.sendall(bytes(bad))
        send(s, 900, 1)
        s.close()
        metrics = gateway.metrics()
        total = sum(got.values()) + 1
        assert metrics['pvm_errors_total{protocol="teltonika",transport="tcp",reason="rejected"}'] == 1, metrics
        assert sum(v for k, v in metrics.items() if k.startswith("pvm_messages_total")) == total
        assert metrics['pvm_connections_total{protocol="teltonika",transport="udp"}'] == UDP_DEVICES

        # SIGHUP with a changed program: the old connection keeps its session, new ones change.
        old = connect(port, 901)
        send(old, 901, 0)
        with open(protocol) as f:
            source = f.read()
        with open(protocol, "w") as f:
            f.write(source.replace("#codec.id = $codec\n", f"#codec.id = $codec\n        {MARK}\n", 1))
        gateway.signal(signal.SIGHUP)
        wait_until(lambda: "protocols reloaded" in gateway.log(), 10, "the reload")
        send(old, 901, 1)
        new = connect(port, 902)
        send(new, 902, 0)
        wait_until(lambda: len(file_messages(out)) >= total + 3, 5, "the messages after the reload")
        by_device = {(m["ident"], m["timestamp"]): m for m in file_messages(out)}
        for device, packet, reloaded in ((901, 0, False), (901, 1, False), (902, 0, True)):
            m = by_device[(imei_of(device), (1_700_000_000_000 + device * 10_000_000 + packet * 1_000) / 1000)]
            assert m.get("custom.reloaded", False) == reloaded, f"device {device} packet {packet}: {m}"

        # A reload that does not compile keeps the running program.
        with open(protocol, "w") as f:
            f.write(source + "\nthis is not pvm\n")
        gateway.signal(signal.SIGHUP)
        wait_until(lambda: "reload failed" in gateway.log(), 10, "the failed reload")
        send(new, 902, 1)
        send(old, 901, 2)
        old.close()
        new.close()
    finally:
        gateway.stop()
    assert gateway.proc.returncode == 0, f"gateway exit status {gateway.proc.returncode}"


if __name__ == "__main__":
    run_main(__doc__, body)
