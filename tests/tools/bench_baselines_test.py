#!/usr/bin/env python3
"""The hand-written baselines of bench/ must decode exactly as the VM does, or the benchmarks
compare different work. Generates small streams with pvm_bench_streams and checks, per protocol,
that pvm_baseline_decode writes the JSON lines, replies and summary `pvm decode` writes; that the
Wialon IPS decoder agrees on a file of awkward values (number formats, escapes, repeated
parameters); and that pvm_epoll_gateway writes the same lines and ACKs every packet."""

import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

PROTOCOLS = ["teltonika", "ruptela", "gt06", "wialon_ips"]


def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def wialon_line(kind, fields):
    """A Wialon IPS 2.0 line with its CRC over the fields and the ';' after them."""
    covered = fields + ";"
    return f"#{kind}#{covered}{crc16_arc(covered.encode()):04X}\r\n".encode()


# Values whose text is easy to get wrong: floats in and out of exponent form, integers near the
# limits, quotes, backslashes and non-ASCII in names and values, a time with a fraction, a
# parameter given twice (it keeps its first place), entries that are not numbers.
AWKWARD_WIALON = b"".join([
    wialon_line("L", "2.0;861234567890123;NA"),
    wialon_line("D", "010524;101010.5;5544.6025;S;03739.6834;W;0.;12.;-3.;7;0.8;1;0;1.5,x,0.0000001,-2;"
                     "AB\"C\\;pwr_ext:2:12.5,A:1:-12,b:2:0.0000001,c:2:1000000000000000000000,"
                     "d:2:123456789012345678901234,e:3:t\\x,f:1:1234567890123456789,\u00c4:3:\u00fc,"
                     "a:1:7,SOS:1:0,g:2:abc,h:2:1e5,battery:1:50"),
    wialon_line("SD", "NA;NA;NA;NA;NA;NA;;;;"),
    b"#SD#020524;000001;0102.0000;N;00203.5000;E;1;2;3;2\r\n",
    b"#P#\r\n",
    wialon_line("D", "NA;NA;NA;NA;NA;NA;NA;NA;NA;NA;NA;NA;NA;;NA;"),
])


class Checker:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.failed = 0
        self.env = dict(os.environ)

    def fail(self, what):
        self.failed += 1
        print(f"FAIL {what}")

    def run(self, cmd):
        return subprocess.run(cmd, capture_output=True, env=self.env)

    def compare_decode(self, protocol, path):
        for output in ["json", "none"]:
            vm_replies = os.path.join(self.work, f"{protocol}.vm.replies")
            base_replies = os.path.join(self.work, f"{protocol}.base.replies")
            vm = self.run([self.args.pvm, "decode", "-p", protocol, "--output", output, "--replies", vm_replies, path])
            base = self.run([self.args.decode, "-p", protocol, "--output", output, "--replies", base_replies, path])
            name = f"{protocol} {os.path.basename(path)} --output {output}"
            if vm.returncode != 0 or vm.stderr:
                self.fail(f"{name}: pvm decode did not decode every frame cleanly: {vm.stderr.decode()[:300]}")
            if not vm.stdout.strip():
                self.fail(f"{name}: pvm decode wrote nothing")
            if vm.stdout != base.stdout:
                self.fail(f"{name}: the baseline's output differs at {first_difference(vm.stdout, base.stdout)}")
            if vm.returncode != base.returncode:
                self.fail(f"{name}: exit status {base.returncode}, pvm decode's {vm.returncode}")
            with open(vm_replies, "rb") as a, open(base_replies, "rb") as b:
                if a.read() != b.read():
                    self.fail(f"{name}: the baseline's replies differ")

    def check_gateway(self, stream_path):
        """Sends a Teltonika stream to pvm_epoll_gateway packet by packet, as a device does."""
        data = open(stream_path, "rb").read()
        out = os.path.join(self.work, "gateway.jsonl")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        gateway = subprocess.Popen([self.args.gateway, "--port", str(port), "--out", out, "--threads", "2"],
                                   stderr=subprocess.DEVNULL)
        try:
            sock = connect(port)
            peer = "%s:%d" % sock.getsockname()
            login = 2 + struct.unpack(">H", data[:2])[0]
            sock.sendall(data[:login])
            if read_exact(sock, 1) != b"\x01":
                self.fail("epoll gateway: the login was not accepted")
            at, packets = login, 0
            while at < len(data):
                length = struct.unpack(">I", data[at + 4:at + 8])[0] + 12
                sock.sendall(data[at:at + length])
                if read_exact(sock, 4) != struct.pack(">I", data[at + 9]):
                    self.fail(f"epoll gateway: packet {packets} was not ACKed with its record count")
                at += length
                packets += 1
            sock.close()
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(timeout=10)
        vm = self.run([self.args.pvm, "decode", "-p", "teltonika", stream_path]).stdout
        with open(out, "rb") as f:
            written = f.read()
        # Every line carries the envelope pvm serve writes after "protocol.id"; without it, the
        # lines are pvm decode's.
        envelope = re.compile(rb',"server\.timestamp":(\d+)\.\d{3},"peer":"' + re.escape(peer.encode()) + rb'"')
        lines = written.splitlines(keepends=True)
        stamped = [envelope.search(line) for line in lines]
        now = time.time()
        if not lines or not all(m and now - 600 < int(m.group(1)) <= now for m in stamped):
            self.fail(f"epoll gateway: a line without the envelope of time and peer {peer}: {lines[:1]}")
        written = envelope.sub(b"", written)
        if not vm or written != vm:
            self.fail(f"epoll gateway: its lines differ from pvm decode's\n{first_difference(vm, written)}")


def connect(port):
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def first_difference(a, b):
    a_lines, b_lines = a.split(b"\n"), b.split(b"\n")
    for i, (x, y) in enumerate(zip(a_lines, b_lines)):
        if x != y:
            return f"line {i + 1}:\n  expected {x[:400]!r}\n  got      {y[:400]!r}"
    return f"{len(a_lines)} lines expected, {len(b_lines)} written"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    parser.add_argument("--decode", required=True, help="pvm_baseline_decode")
    parser.add_argument("--streams", required=True, help="pvm_bench_streams")
    parser.add_argument("--gateway", required=True, help="pvm_epoll_gateway")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pvm-bench-") as work:
        checker = Checker(args, work)
        subprocess.run([args.streams, work, "--packets", "40", "--seed", "7"], check=True)
        for protocol in PROTOCOLS:
            checker.compare_decode(protocol, os.path.join(work, f"{protocol}.bin"))
        awkward = os.path.join(work, "awkward_wialon.bin")
        with open(awkward, "wb") as f:
            f.write(AWKWARD_WIALON)
        checker.compare_decode("wialon_ips", awkward)
        checker.check_gateway(os.path.join(work, "teltonika.bin"))
        if checker.failed:
            sys.exit(1)
        print("bench baselines: the same output as pvm decode for " + ", ".join(PROTOCOLS) + " and the epoll gateway")


if __name__ == "__main__":
    main()
