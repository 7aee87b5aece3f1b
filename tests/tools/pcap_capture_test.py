#!/usr/bin/env python3
"""Captures as they really are, through `pvm decode --format pcap`: tcpdump-style files built
here from the sample capture's Teltonika frames. A capture that starts mid-connection (no SYN,
the server's reply first) keeps the device's side only, told by the customary port, by --port,
or by which side frames as the protocol, and takes the ident from --ident; a missing segment is
reported once with its byte range and decoding resumes at the next frame; --filter leaves other
traffic alone; every message carries the device's address and its packet's capture time."""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

from decode_cli_test import CAPTURE, IDENT, capture_bytes, frames_of, ipv4, tcp

DEVICE = (10, 0, 0, 2, 40000)
SERVER = (10, 0, 0, 1, 5027)
T0 = 1700000000


def pcap_file(packets):
    """A classic pcap (Ethernet) of (seconds, microseconds, IPv4 packet)."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for sec, usec, ip in packets:
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip
        out += struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    pvm = parser.parse_args().pvm
    frames = frames_of(b"".join(capture_bytes()))  # login, then five data packets
    login, data = frames[0], frames[1:]
    failures = []
    work = tempfile.mkdtemp(prefix="pvm-pcap-")

    def decode(packets, *args):
        path = os.path.join(work, f"c{len(os.listdir(work))}.pcap")
        with open(path, "wb") as f:
            f.write(pcap_file(packets))
        r = subprocess.run([pvm, "decode", "-p", "teltonika", *args, path], capture_output=True, text=True)
        return r, [json.loads(line) for line in r.stdout.splitlines()]

    def check(name, ok, detail=""):
        if not ok:
            failures.append(f"{name}: {detail}")

    # The reference: every message of the five data packets, as decoded from the hex capture.
    ref = subprocess.run([pvm, "decode", "-p", "teltonika", CAPTURE], capture_output=True, text=True)
    reference = [json.loads(line) for line in ref.stdout.splitlines()]
    counts = [1, 2, 1, 2, 2]  # messages per data packet

    def strip(m):
        return {k: v for k, v in m.items() if k not in ("server.timestamp", "peer")}

    # 1. Mid-connection: no SYN, no login; the server's ACK of an earlier packet comes first.
    def mid_connection(device, server):
        packets = [(T0, 0, tcp(server, device, 500, 0x18, b"\x00\x00\x00\x01"))]
        seq = 9000
        for i, frame in enumerate(data):
            packets.append((T0 + 1 + i, 250000, tcp(device, server, seq, 0x18, frame)))
            seq += len(frame)
            packets.append((T0 + 1 + i, 260000, tcp(server, device, 504 + 4 * i, 0x18, struct.pack(">I", counts[i]))))
        return packets

    packets = mid_connection(DEVICE, SERVER)
    r, got = decode(packets, "--ident", IDENT)
    check("mid-connection: exit 0, nothing rejected", r.returncode == 0 and not r.stderr, r.stderr)
    check("mid-connection: the device's messages, with --ident", [strip(m) for m in got] == reference, r.stdout[:300])
    times = [f"{T0 + 1 + i}.250" for i, n in enumerate(counts) for _ in range(n)]
    check("mid-connection: server.timestamp is the packet's capture time",
          [format(m.get("server.timestamp", 0), ".3f") for m in got] == times, [m.get("server.timestamp") for m in got])
    check("mid-connection: peer is the device", all(m.get("peer") == "10.0.0.2:40000" for m in got), got[:1])
    first = r.stdout.splitlines()[0] if got else ""
    check("mid-connection: peer and server.timestamp follow ident and protocol.id",
          first.startswith('{"ident":"%s","protocol.id":"teltonika","server.timestamp":%d.250,"peer":"10.0.0.2:40000",'
                           % (IDENT, T0 + 1)), first[:160])
    r, got = decode(packets, "--no-server-fields")
    check("mid-connection without --ident: no ident, no server fields",
          r.returncode == 0 and len(got) == 8 and all("ident" not in m and "peer" not in m for m in got), r.stdout[:200])

    # 2. The server on a port that is not teltonika's: --port says which; without it, the side
    # whose bytes frame as the protocol is kept (the server's 4-byte ACKs do not).
    odd_server = (10, 0, 0, 1, 6000)
    packets = mid_connection(DEVICE, odd_server)
    for args in (["--port", "6000"], []):
        r, got = decode(packets, "--ident", IDENT, *args)
        check(f"server on port 6000 {args}: the device's side only",
              r.returncode == 0 and not r.stderr and [strip(m) for m in got] == reference, r.stderr or r.stdout[:200])
    # A device on the server's side of the ports: --port 40000 would make the other side the device.
    r, got = decode(packets, "--ident", IDENT, "--port", "40000")
    check("--port names the server's side", got == [] and r.returncode == 1, r.stdout[:200])

    # 3. A segment missing mid-stream: packet 3 is cut in three, the middle piece was not captured,
    # and the last piece shares its segment with the start of packet 4.
    stream = login + b"".join(data)
    p3 = len(login) + len(data[0]) + len(data[1])
    p4 = p3 + len(data[2])
    cuts = [0, len(login), len(login) + len(data[0]), p3, p3 + 10, p3 + 30, p4 + 7, len(stream)]
    isn = 7000
    packets = [(T0, 0, tcp(DEVICE, SERVER, isn, 0x02)), (T0, 1000, tcp(SERVER, DEVICE, 99, 0x12))]
    for i in range(len(cuts) - 1):
        if i == 4:
            continue  # bytes p3+10 .. p3+29: not in the capture
        packets.append((T0 + 1 + i, 0, tcp(DEVICE, SERVER, isn + 1 + cuts[i], 0x18, stream[cuts[i]:cuts[i + 1]])))
    r, got = decode(packets)
    lines = r.stderr.splitlines()
    want = (f"[10.0.0.2:40000->10.0.0.1:5027]: bytes {p3 + 10}..{p3 + 29} of the stream are missing from the "
            f"capture; decoding resumes at byte {p4}")
    check("gap: said once, with the missing bytes and where decoding resumes",
          len(lines) == 1 and lines[0].endswith(want), r.stderr)
    check("gap: exit 1", r.returncode == 1, r.returncode)
    check("gap: every other packet decoded, ident kept",
          [strip(m) for m in got] == reference[:3] + reference[4:], r.stdout[:300])

    # 4. --filter: a second connection to another port is left alone.
    web, web_server = (10, 0, 0, 9, 50000), (10, 0, 0, 1, 80)
    packets = [(T0, 0, tcp(DEVICE, SERVER, isn, 0x02)), (T0, 0, tcp(web, web_server, 1, 0x02)),
               (T0, 1, tcp(web, web_server, 2, 0x18, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))]
    seq = isn + 1
    for i, frame in enumerate(frames):
        packets.append((T0 + 1 + i, 0, tcp(DEVICE, SERVER, seq, 0x18, frame)))
        seq += len(frame)
    r, got = decode(packets)
    check("no filter: the other connection is decoded too", r.returncode == 1 and "10.0.0.9:50000" in r.stderr,
          r.stderr)
    r, got = decode(packets, "--filter", "tcp port 5027")
    check("--filter: only the device", r.returncode == 0 and not r.stderr and [strip(m) for m in got] == reference,
          r.stderr)
    r, _ = decode(packets, "--filter", "tcp port")
    check("--filter: a bad expression is a usage error",
          r.returncode == 2 and r.stderr.startswith("pvm decode: --filter 'tcp port': "), r.stderr)
    r = subprocess.run([pvm, "decode", "-p", "teltonika", "--filter", "tcp", CAPTURE], capture_output=True, text=True)
    check("--filter on hex input", r.returncode == 2 and "pcap input only" in r.stderr, r.stderr)

    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"{len(failures)} failures" if failures else "ok")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
