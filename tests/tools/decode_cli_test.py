#!/usr/bin/env python3
"""Checks the contract of `pvm decode` that other tools rely on: input formats (hex, bin, pcap,
standard input), --framed, --frames, --replies, --crc, --output, the error lines and the exit
statuses. Uses the sample capture examples/captures/teltonika.hex and the stdlib teltonika."""

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

CAPTURE = "examples/captures/teltonika.hex"
IDENT = "356307042441013"
# Frames of the sample capture: IMEI handshake, codec 8 (1 record), codec 8 (2), codec 8E (1),
# codec 8E (2), codec 16 (2); the server answers the login with 01 and each packet with its count.
EXPECTED_REPLIES = ["01", "00000001", "00000002", "00000001", "00000002", "00000002"]
EXPECTED_MESSAGES = 8
UDP_DATAGRAM = ("003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000"
                "000000000103021503010101425DBC000001")
UDP_REPLY = "0005cafe010501"


class Checker:
    def __init__(self, pvm, workdir):
        self.pvm = pvm
        self.workdir = workdir
        self.passed = 0
        self.failed = 0

    def path(self, name):
        return os.path.join(self.workdir, name)

    def write(self, name, data):
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)
        return self.path(name)

    def decode(self, *args, stdin=None):
        return subprocess.run([self.pvm, "decode", *args], input=stdin, capture_output=True, text=True)

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def capture_lines():
    """The sample capture as (line number, TCP segment), one per non-blank line."""
    segments = []
    with open(CAPTURE) as f:
        for number, line in enumerate(f, 1):
            digits = re.sub(r"\s", "", line.split("#", 1)[0])
            if digits:
                segments.append((number, bytes.fromhex(digits)))
    return segments


def frame_lines(frames, numbered_segments):
    """[first, last] input line of each frame's bytes."""
    owner = []  # the line of every byte of the stream
    for number, segment in numbered_segments:
        owner += [number] * len(segment)
    out, pos = [], 0
    for frame in frames:
        out.append([owner[pos], owner[pos + len(frame) - 1]])
        pos += len(frame)
    return out


def capture_bytes():
    """The sample capture as TCP segments (one per non-blank line)."""
    segments = []
    for _, segment in capture_lines():
        segments.append(segment)
    return segments


def frames_of(stream):
    """Cuts a Teltonika TCP stream into frames, independently of the program under test."""
    frames, pos = [], 0
    while pos < len(stream):
        if stream[pos:pos + 2] != b"\0\0":
            size = 2 + struct.unpack(">H", stream[pos:pos + 2])[0]
        else:
            size = 12 + struct.unpack(">I", stream[pos + 4:pos + 8])[0]
        frames.append(stream[pos:pos + size])
        pos += size
    return frames


def pcap_file(packets):
    """A little-endian classic pcap with Ethernet frames around IPv4 packets."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, ip in enumerate(packets):
        frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip
        out += struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)) + frame
    return out


def ipv4(src, dst, proto, payload):
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0,
                         bytes(src), bytes(dst))
    return header + payload


def tcp(src, dst, seq, flags, payload=b""):
    segment = struct.pack(">HHIIBBHHH", src[4], dst[4], seq, 0, 0x50, flags, 65535, 0, 0) + payload
    return ipv4(src[:4], dst[:4], 6, segment)


def udp(src, dst, payload):
    return ipv4(src[:4], dst[:4], 17, struct.pack(">HHHH", src[4], dst[4], 8 + len(payload), 0) + payload)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True, help="the pvm binary")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        c = Checker(args.pvm, workdir)
        run_checks(c)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


def run_checks(c):
    segments = capture_bytes()
    stream = b"".join(segments)
    frames = frames_of(stream)

    # The sample capture, reassembled from its segments.
    replies, frames_out = c.path("replies"), c.path("frames")
    r = c.decode("-p", "teltonika", "--replies", replies, "--frames", frames_out, CAPTURE)
    c.check("sample: exit 0", r.returncode == 0, r.stderr)
    messages = json_lines(r.stdout)
    c.check("sample: message count", len(messages) == EXPECTED_MESSAGES, f"{len(messages)} messages")
    c.check("sample: ident", all(m.get("ident") == IDENT for m in messages), r.stdout[:300])
    with open(replies) as f:
        got_replies = f.read().split()
    c.check("sample: replies", got_replies == EXPECTED_REPLIES, str(got_replies))
    with open(frames_out) as f:
        records = json_lines(f.read())
    c.check("sample: one record per frame", [bytes.fromhex(x["hex"]) for x in records] == frames,
            f"{len(records)} records")
    offsets = [sum(len(f) for f in frames[:i]) for i in range(len(frames))]
    c.check("sample: frame offsets", [x["offset"] for x in records] == offsets, str(records[:2]))
    c.check("sample: frame fields",
            all(x["size"] == len(bytes.fromhex(x["hex"])) and x["error"] is None and x["warnings"] == []
                and x["input"] == CAPTURE for x in records)
            and [m for x in records for m in x["messages"]] == messages
            and [r for x in records for r in x["replies"]] == EXPECTED_REPLIES, str(records))
    c.check("sample: frame numbers and the input lines of each frame",
            [x["frame"] for x in records] == list(range(1, len(records) + 1))
            and [x["lines"] for x in records] == frame_lines(frames, capture_lines()),
            str([x.get("lines") for x in records]))
    r = c.decode("-p", "teltonika", "--output", "frames", CAPTURE)
    first_line = frame_lines(frames, capture_lines())[0][0]
    c.check("output frames: each frame with its input line, bytes, messages and replies",
            r.returncode == 0 and r.stdout.startswith(f"{CAPTURE}:{first_line}: frame 1 at offset 0, {len(frames[0])} bytes\n"
                                                      "     0 | 00 0f 33 35")
            and r.stdout.count("  message {") == EXPECTED_MESSAGES
            and [l[10:] for l in r.stdout.splitlines() if l.startswith("  reply   ")] == EXPECTED_REPLIES, r.stdout[:500])

    # The same bytes as a raw file, from standard input, and already cut into frames.
    raw = c.write("capture.bin", stream)
    r = c.decode("-p", "teltonika", raw)
    c.check("bin: same messages", r.returncode == 0 and json_lines(r.stdout) == messages, r.stderr)
    hex_text = "\n".join(s.hex() for s in segments) + "\n"
    r = c.decode("-p", "teltonika", "-", stdin=hex_text)
    c.check("stdin: same messages", r.returncode == 0 and json_lines(r.stdout) == messages, r.stderr)
    framed = c.write("framed.hex", "\n".join(f.hex() for f in frames) + "\n")
    r = c.decode("-p", "teltonika", "--framed", framed)
    c.check("framed: same messages", r.returncode == 0 and json_lines(r.stdout) == messages, r.stderr)
    r = c.decode("-p", "teltonika", CAPTURE, raw)
    c.check("two inputs: two connections", r.returncode == 0 and len(json_lines(r.stdout)) == 2 * EXPECTED_MESSAGES,
            r.stderr)
    # A stream larger than one read: its data packets again and again after the login, from a
    # file and from a pipe.
    repeats = 300
    big_stream = stream + b"".join(frames[1:]) * repeats
    big = c.write("big.bin", big_stream)
    r = c.decode("-p", "teltonika", "--output", "none", big)
    c.check("large bin file: every message", r.returncode == 0
            and f"{EXPECTED_MESSAGES * (repeats + 1)} messages" in r.stdout, r.stdout + r.stderr)
    r = subprocess.run([c.pvm, "decode", "-p", "teltonika", "--format", "bin", "-"], input=big_stream,
                       capture_output=True)
    c.check("large bin from standard input: every message", r.returncode == 0
            and len(json_lines(r.stdout.decode())) == EXPECTED_MESSAGES * (repeats + 1), r.stderr.decode())
    r = c.decode("-p", "teltonika", "--output", "none", CAPTURE)
    c.check("output none: counts only", r.returncode == 0 and not r.stdout.lstrip().startswith("{")
            and f"{EXPECTED_MESSAGES} messages" in r.stdout, r.stdout)

    # A bad CRC in the second data packet: reported with its offset, no ACK, decoding goes on.
    bad = bytearray(stream)
    bad_offset = offsets[2]
    bad[bad_offset + len(frames[2]) - 1] ^= 0xFF
    bad_file = c.write("bad.bin", bytes(bad))
    r = c.decode("-p", "teltonika", "--replies", replies, bad_file)
    lines = r.stderr.splitlines()
    c.check("bad crc: exit 1", r.returncode == 1, r.stderr)
    c.check("bad crc: one error line naming file and offset",
            len(lines) == 1 and lines[0].startswith(f"{bad_file}: offset "), r.stderr)
    c.check("bad crc: other frames still decoded", len(json_lines(r.stdout)) == EXPECTED_MESSAGES - 2, r.stdout)
    with open(replies) as f:
        c.check("bad crc: no ACK", f.read().split() == EXPECTED_REPLIES[:2] + EXPECTED_REPLIES[3:])
    bad_hex = c.write("bad.hex", "# one segment a line\n" + "\n".join(
        bad[offsets[i]:offsets[i] + len(frames[i])].hex() for i in range(len(frames))) + "\n")
    r = c.decode("-p", "teltonika", bad_hex)
    c.check("bad crc in hex input: the error names the input line and the offset",
            r.returncode == 1 and r.stderr.startswith(f"{bad_hex}:4: offset {bad_offset + len(frames[2]) - 4}: "),
            r.stderr)
    r = c.decode("-p", "teltonika", "--output", "frames", bad_hex)
    c.check("output frames: a rejected frame shows its error and where in the frame",
            r.returncode == 1 and f"{bad_hex}:4: frame 3 at offset {bad_offset}, {len(frames[2])} bytes, rejected" in r.stdout
            and f" [byte {len(frames[2]) - 4} of the frame]" in r.stdout, r.stdout)
    r = c.decode("-p", "teltonika", "--crc", "warn", bad_file)
    c.check("crc warn: exit 0 with a warning",
            r.returncode == 0 and f"{bad_file}: offset " in r.stderr and "warning:" in r.stderr, r.stderr)
    c.check("crc warn: every message", len(json_lines(r.stdout)) == EXPECTED_MESSAGES, r.stdout)

    # A capture: one TCP connection in odd segments, one out of order and one sent twice, and a
    # UDP device beside it.
    device, server = (10, 0, 0, 2, 40000), (10, 0, 0, 1, 5027)
    udp_device, udp_server = (10, 0, 0, 3, 40001), (10, 0, 0, 1, 5027)
    cuts = [0, 5, 17, 40, 200, 201, 350, len(stream)]
    pieces = [(cuts[i], stream[cuts[i]:cuts[i + 1]]) for i in range(len(cuts) - 1)]
    isn = 7000
    packets = [tcp(device, server, isn, 0x02), tcp(server, device, 99, 0x12)]
    order = [0, 1, 3, 2, 2, 4, 5, 6]
    for i in order:
        start, piece = pieces[i]
        packets.append(tcp(device, server, isn + 1 + start, 0x18, piece))
        if i == 1:
            packets.append(tcp(server, device, 100, 0x18, b"\x01"))
            packets.append(udp(udp_device, udp_server, bytes.fromhex(UDP_DATAGRAM)))
    pcap = c.write("capture.pcap", pcap_file(packets))
    r = c.decode("-p", "teltonika", "--no-server-fields", "--replies", replies, "--frames", frames_out, pcap)
    c.check("pcap: exit 0", r.returncode == 0, r.stderr)
    with open(frames_out) as f:
        records = json_lines(f.read())
    # Packets 1 and 2 are the handshake; the login spans the first two data segments (3 and 4),
    # and the UDP datagram is packet 6, after the server's answer.
    c.check("pcap: each frame names the packets its bytes came in",
            records[0]["packets"] == [3, 4] and records[-1]["packets"] == [6, 6]
            and records[-1]["input"].endswith("[10.0.0.3:40001->10.0.0.1:5027]"), str(records[0])[:300])
    got = json_lines(r.stdout)
    c.check("pcap: tcp messages", got[:EXPECTED_MESSAGES] == messages, r.stdout[:300])
    c.check("pcap: udp message", len(got) == EXPECTED_MESSAGES + 1 and got[-1].get("ident") == "352093086403655",
            r.stdout[-300:])
    with open(replies) as f:
        c.check("pcap: replies", f.read().split() == EXPECTED_REPLIES + [UDP_REPLY])

    # Device bytes in an error reach the terminal escaped: no control byte, no invalid UTF-8, and
    # a line feed cannot forge a line of its own. Long reasons are cut.
    hostile = (b"\x1b[2J\x1b]0;owned\x07 \xff\xfe \xc2\x9b \xe2\x82\xac\nforged.hex: offset 0: all good\r\n"
               + b"x" * 5000 + b"\r\n")
    path = c.write("hostile.bin", hostile)
    r = subprocess.run([c.pvm, "decode", "-p", "wialon_ips", "--format", "bin", path], capture_output=True)
    err = r.stderr
    lines = err.decode("utf-8").splitlines()  # raises on invalid UTF-8
    c.check("hostile: one line per bad frame", len(lines) == 2, repr(err[:400]))
    c.check("hostile: no control bytes", not any(b < 0x20 and b != 0x0A for b in err) and b"\x7f" not in err,
            repr(err[:400]))
    c.check("hostile: escapes shown", lines and "\\x1b[2J\\x1b]0;owned\\x07 \\xff\\xfe \\xc2\\x9b \u20ac\\x0aforged.hex"
            in lines[0], repr(lines[:1]))
    c.check("hostile: long reason cut", len(lines) == 2 and len(lines[1]) < 600 and "(5025 bytes)" in lines[1],
            repr(lines[1:]))
    # Receive times: a capture's record times, or the hex input's @ lines, are `now`.
    clock = c.write("clock.pvm", "protocol clock\npacket tcp {\n    skip remaining\n    emit { #custom.t = now }\n}\n")
    device_a, device_b = (10, 0, 0, 4, 40002), (10, 0, 0, 5, 40003)
    pcap = c.write("clock.pcap", pcap_file([udp(device_a, server, b"\x01"), udp(device_b, server, b"\x02")]))
    r = c.decode("-p", clock, pcap)
    c.check("pcap: now is the record time", [m.get("custom.t") for m in json_lines(r.stdout)] ==
            [1700000000.0, 1700000001.0], r.stdout + r.stderr)
    timed = c.write("timed.hex", "@ 1700000000.25\n01\n@ 1700000100\n02\n")
    r = c.decode("-p", clock, "--framed", timed)
    c.check("hex: now is set by @ lines", [m.get("custom.t") for m in json_lines(r.stdout)] ==
            [1700000000.25, 1700000100.0], r.stdout + r.stderr)

    # --jit keeps the code it compiles in --jit-cache and the next run loads it (the file is
    # not written again); the output is the interpreter's.
    cache = c.path("jit-cache")
    plain = c.decode("-p", "teltonika", CAPTURE)
    first = c.decode("-p", "teltonika", "--jit", "--jit-cache", cache, CAPTURE)
    if "the JIT is not used" not in first.stderr:
        files = os.listdir(cache) if os.path.isdir(cache) else []
        c.check("jit cache: one file, the directory mode 0700",
                len(files) == 1 and files[0].endswith(".pvmjit") and os.stat(cache).st_mode & 0o777 == 0o700, files)
        inode = os.stat(os.path.join(cache, files[0])).st_ino if files else None
        second = c.decode("-p", "teltonika", "--jit", "--jit-cache", cache, CAPTURE)
        c.check("jit cache: same output as the interpreter, compiled and loaded",
                first.stdout == plain.stdout and second.stdout == plain.stdout and second.stderr == "",
                second.stderr)
        c.check("jit cache: the second run loads the file, not a new one",
                os.listdir(cache) == files and os.stat(os.path.join(cache, files[0])).st_ino == inode)
        os.chmod(cache, 0o777)
        third = c.decode("-p", "teltonika", "--jit", "--jit-cache", cache, CAPTURE)
        c.check("jit cache: a folder others can write to is not used, and a line says so",
                third.stdout == plain.stdout and "the JIT cache is not used for teltonika" in third.stderr
                and "others can write to it" in third.stderr, third.stderr)
        none = c.path("unused-cache")
        r = c.decode("-p", "teltonika", "--jit", "--jit-cache", none, "--no-jit-cache", CAPTURE)
        c.check("jit cache: --jit-cache and --no-jit-cache exclude each other", r.returncode == 2, r.stderr)
        r = c.decode("-p", "teltonika", "--jit", "--no-jit-cache", CAPTURE)
        c.check("jit cache: --no-jit-cache", r.returncode == 0 and r.stdout == plain.stdout, r.stderr)

    # The module a .pvm compiles to is kept in --module-cache and the next run takes it (the file is
    # not written again): its messages, runtime errors with their source positions (in the main
    # file and in a used one) and --trace are the compiled module's.
    os.makedirs(c.path("cached/lib"))
    main = c.write("cached/main.pvm", "protocol cached\nuse \"lib/twice.pvm\"\n\npacket tcp {\n    u8 ==> $len\n"
                   "    expect $len <= 4, \"at most 4 data bytes\"\n    emit { #custom.n = twice($len) }\n"
                   "    skip remaining\n}\n")
    c.write("cached/lib/twice.pvm", "fn twice($n: int) -> int {\n    if $n == 3 { fail \"three is not allowed\" }\n"
            "    return $n * 2\n}\n")
    frames = c.write("cached/frames.hex", "02 0102\n03 010203\n05 0102030405\n")
    modules = c.path("module-cache")
    compiled = c.decode("-p", main, "--framed", "--no-module-cache", frames)
    for trace in ([], ["--trace"]):
        what = "trace" if trace else "output"
        fresh = c.decode("-p", main, "--framed", *trace, "--no-module-cache", frames)
        first = c.decode("-p", main, "--framed", *trace, "--module-cache", modules, frames)
        entries = sorted(os.listdir(modules)) if os.path.isdir(modules) else []
        c.check(f"module cache, {what}: one file, the directory mode 0700",
                len(entries) == 1 and entries[0].endswith(".pvmmod") and os.stat(modules).st_mode & 0o777 == 0o700,
                entries)
        inode = os.stat(os.path.join(modules, entries[0])).st_ino if entries else None
        second = c.decode("-p", main, "--framed", *trace, "--module-cache", modules, frames)
        c.check(f"module cache, {what}: the second run takes the file, not a new one",
                sorted(os.listdir(modules)) == entries and os.stat(os.path.join(modules, entries[0])).st_ino == inode)
        c.check(f"module cache, {what}: the same as compiled", (first.returncode, first.stdout, first.stderr) ==
                (second.returncode, second.stdout, second.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr),
                second.stdout + second.stderr)
    c.check("module cache: errors name the used file and the main file",
            "rejected: three is not allowed (lib/twice.pvm:2:18 via main.pvm:7:24)" in second.stderr
            and "rejected: at most 4 data bytes (main.pvm:6:5)" in second.stderr, second.stderr)
    c.check("module cache: the trace names the .pvm lines", "main.pvm:7:12  emit { #custom.n = twice($len) } = 4"
            in second.stdout, second.stdout)
    with open(os.path.join(c.path("cached/lib"), "twice.pvm"), "a") as f:
        f.write("// changed\n")
    c.decode("-p", main, "--framed", "--module-cache", modules, frames)
    c.check("module cache: a used file changed: compiled again, the file rewritten",
            os.listdir(modules) == entries and os.stat(os.path.join(modules, entries[0])).st_ino != inode)
    os.chmod(modules, 0o777)
    r = c.decode("-p", main, "--framed", "--module-cache", modules, frames)
    c.check("module cache: a folder others can write to is not used, and a line says so",
            r.stdout == compiled.stdout and "pvm: the module cache is not used: " + modules +
            " is not this user's or others can write to it\n" in r.stderr, r.stderr)
    r = subprocess.run([c.pvm, "decode", "-p", main, "--framed", frames], capture_output=True, text=True,
                       env=dict(os.environ, XDG_CACHE_HOME=frames))
    c.check("module cache: the default folder unusable goes unsaid",
            (r.returncode, r.stdout, r.stderr) == (compiled.returncode, compiled.stdout, compiled.stderr), r.stderr)
    r = c.decode("-p", main, "--module-cache", modules, "--no-module-cache", frames)
    c.check("module cache: --module-cache and --no-module-cache exclude each other", r.returncode == 2, r.stderr)

    # Usage errors exit 2 and say what is wrong.
    r = c.decode("-p", "no_such_protocol", CAPTURE)
    c.check("unknown protocol: exit 2", r.returncode == 2 and "no_such_protocol" in r.stderr, r.stderr)
    odd = c.write("odd.hex", "000f\n123\n")
    r = c.decode("-p", "teltonika", odd)
    c.check("odd hex: exit 2 naming file:line", r.returncode == 2 and f"{odd}:2:" in r.stderr, r.stderr)
    r = c.decode("-p", "teltonika", c.path("missing.hex"))
    c.check("missing input: exit 2 with the reason",
            r.returncode == 2 and r.stderr == f"pvm decode: cannot read {c.path('missing.hex')}: No such file or directory\n",
            r.stderr)
    r = c.decode("-p", "teltonika", c.workdir)
    c.check("a folder as input: exit 2 with the reason",
            r.returncode == 2 and r.stderr == f"pvm decode: cannot read {c.workdir}: it is a folder\n", r.stderr)
    junk = c.write("junk.pvmc", b"not a module")
    r = c.decode("-p", junk, CAPTURE)
    c.check("bad module: exit 2", r.returncode == 2, r.stderr)
    r = c.decode("-p", "teltonika", "--transport", "sctp", CAPTURE)
    c.check("bad option value: exit 2", r.returncode == 2, r.stderr)
    r = c.decode("-p", "teltonika", "--option", "no_such_option=1", CAPTURE)
    c.check("unknown protocol option: exit 2", r.returncode == 2, r.stderr)


if __name__ == "__main__":
    sys.exit(main())
