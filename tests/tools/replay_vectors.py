#!/usr/bin/env python3
"""Replays Traccar's decoder-test packets (tests/vectors/traccar/<protocol>.jsonl) through
`pvm decode` and checks each one against what the vector expects.

protocol_decoder vectors: a session's vectors run in file order as one connection, one hex line
per packet, with --framed (each line is one frame) and the vector's transport; once strict and
once with --crc warn. A session is split where the transport or the `extended` setting changes.
Vectors of transport "unknown" are replayed as UDP datagrams (the message without its terminator).
- expect null: no message; strict, no error either unless the integrity check fails.
- expect position/positions/attributes/none: strict, a packet whose integrity check fails
  (crc_ok, checksum_ok or length_ok false; a length that fits once the CRLF the test string
  leaves out is added, length_ok_if_crlf_appended, is no failure) must be rejected, any other
  gives at least one message; with --crc warn every such packet gives at least one message. For
  position/positions (unless check_location is false) at least one message has a position and
  every position is in range.
frame_decoder vectors: the hex is fed as a TCP stream; the frame cut from it must equal
frame_out (the k-th frame for the k-th call on a shared buffer), or there is none for expect null.

Delimited protocols (JT/T 808): Traccar's tests hold frames with their escapes already undone.
The key map's "_stream_escape": {"7e": {"7e": "7d02", "7d": "7d01"}, ...} (per delimiter, the
sequence each byte is sent as) escapes their protocol-decoder vectors again, as a device sends
them, and they are replayed as a TCP stream of one segment per packet, so the runtime's own
framing cuts and unescapes them.

Checked values: when tests/vectors/traccar/keymap/<protocol>.json exists, every key of a vector's
`checks` must be mapped, and the mapped parameter of the frame's first message (of every message
for expect positions) must have the checked value. A map entry is "param.name" or
{"param": "param.name", "scale": F} (ours = Traccar's * F), or {"values": {"text": "param.name"}}
for a key whose text value names an event: the named boolean parameter must be true. "_skip":
{"key": "reason"} lists keys with no normalized equivalent; "_exceptions": {"<note>": {"key":
"reason"}} exempts one vector's value that Traccar reads from the wrong bytes (the key "location":
its location check, where Traccar fills in the last known position); "_config":
{"decoderConfigKey": "option"} passes a vector's decoder_config value as that protocol option
(and splits the session where it changes); "_tolerated": {"length_ok": "reason"} names integrity
checks the protocol reports as a warning instead of rejecting (a field Traccar never reads):
a vector failing only those is decoded as a sound one and its strict decode must warn;
"_frame_unescape": {"7d01": "7d", ...} gives the escapes Traccar's frame decoder undoes in the
frame it hands on (ours leaves that to the packet code), applied to the cut frame before it is
compared with frame_out; "_frame_dropped": {"REGEX": "reason"} names frames Traccar's frame
decoder drops (keep-alives) and ours cuts as frames of their own that give nothing: a cut frame
whose hex matches one fully is left out before the comparison. Position keys are mapped unless
the file says otherwise: time ->
timestamp (Unix seconds), latitude, longitude, valid, altitude -> position.*, course ->
position.direction, speed (knots) -> position.speed (km/h). Numbers compare to 1e-5 relative (time
to the millisecond); a checked null means the parameter must be absent.

With --compare-engines every decode runs twice, on the interpreter and with --jit, at the same
receive time, and a vector fails unless both give the same exit status, messages, frame records
(with their warnings and errors), replies and error lines. Why the JIT did not run the protocol
(a line "pvm: the JIT is not used ...") is printed once at the end.

Prints one line per failing vector and ends with "N passed, N failed"; exits 1 on a failure.
"""

import argparse
import calendar
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
VECTORS_DIR = os.path.join(os.path.dirname(TOOLS_DIR), "vectors", "traccar")
DATA_EXPECTS = ("position", "positions", "attributes", "none")
KEYMAP_DIR = os.path.join(VECTORS_DIR, "keymap")
POSITION_KEYS = {
    "time": {"param": "timestamp"},
    "latitude": {"param": "position.latitude"},
    "longitude": {"param": "position.longitude"},
    "valid": {"param": "position.valid"},
    "altitude": {"param": "position.altitude"},
    "course": {"param": "position.direction"},
    "speed": {"param": "position.speed", "scale": 1.852},
}


def escaped(hex_text, tables):
    """A stored frame as it goes on the wire: the bytes between its delimiters escaped by the
    table of its first byte (tables: delimiter hex -> {byte hex: sequence hex})."""
    data = bytes.fromhex(hex_text)
    table = tables.get(data[:1].hex()) if len(data) >= 2 else None
    if table is None:
        return hex_text
    sequences = {int(byte, 16): bytes.fromhex(sequence) for byte, sequence in table.items()}
    inner = b"".join(sequences.get(b, bytes([b])) for b in data[1:-1])
    return (data[:1] + inner + data[-1:]).hex()


def load_vectors(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


JIT_NOTE = "pvm: the JIT is not used"


class Decoder:
    """Runs `pvm decode`; with compare_engines, every run twice, on the interpreter and with --jit,
    and fails the run unless both give the same exit status, messages, frame records, replies and
    error lines. Why the JIT did not run a protocol is kept in `notes`."""

    def __init__(self, pvm, compare_engines):
        self.pvm = pvm
        self.engines = [[], ["--jit"]] if compare_engines else [[]]
        self.notes = set()

    def run(self, protocol, hex_path, workdir, extra):
        """(exit status, stdout, stderr, frame records text, replies text) of one run."""
        frames_path = os.path.join(workdir, "frames.jsonl")
        replies_path = os.path.join(workdir, "replies.hex")
        for path in (frames_path, replies_path):
            if os.path.exists(path):
                os.remove(path)
        result = subprocess.run([self.pvm, "decode", "-p", protocol, "--frames", frames_path, "--replies",
                                 replies_path, *extra, hex_path], capture_output=True, text=True)
        texts = []
        for path in (frames_path, replies_path):
            with open(path) if os.path.exists(path) else open(os.devnull) as f:
                texts.append(f.read())
        return result.returncode, result.stdout, result.stderr, texts[0], texts[1]

    def decode(self, protocol, hex_lines, workdir, extra):
        """Runs pvm decode on hex lines; returns (exit status, stderr, frame records with their messages)."""
        hex_path = os.path.join(workdir, "input.hex")
        with open(hex_path, "w") as f:
            # Both engines decode at the same receive time (`now`), so that the outputs can be compared.
            if len(self.engines) > 1:
                f.write(f"@ {time.time():.3f}\n")
            f.write("".join(line + "\n" for line in hex_lines))
        runs = []
        for engine in self.engines:
            status, stdout, stderr, frames_text, replies_text = self.run(protocol, hex_path, workdir, extra + engine)
            notes = [line for line in stderr.splitlines() if line.startswith(JIT_NOTE)]
            self.notes.update(notes)
            stderr = "".join(line + "\n" for line in stderr.splitlines() if line not in notes)
            runs.append({"exit status": status, "messages": stdout, "error lines": stderr, "frames": frames_text,
                         "replies": replies_text})
        first = runs[0]
        for other in runs[1:]:
            for what, interpreted in first.items():
                if other[what] != interpreted:
                    why = f"the interpreter and the JIT differ in {what}: {first_difference(interpreted, other[what])}"
                    return first["exit status"], why, None
        frames = [json.loads(line) for line in first["frames"].splitlines() if line.strip()]
        messages = [json.loads(line) for line in first["messages"].splitlines() if line.strip()]
        # Each frame record carries its messages; together they are what standard output printed.
        for frame in frames:
            frame["decoded"] = frame["messages"]
        pos = sum(len(frame["messages"]) for frame in frames)
        if [m for frame in frames for m in frame["messages"]] != messages:
            return first["exit status"], f"{len(messages)} messages printed, frames account for {pos}", None
        return first["exit status"], first["error lines"], frames


def first_difference(a, b):
    """The first line where two outputs differ, as "interpreter ... / jit ..."."""
    if not isinstance(a, str):
        return f"interpreter {a!r} / jit {b!r}"
    a_lines, b_lines = a.splitlines(), b.splitlines()
    for i in range(max(len(a_lines), len(b_lines))):
        x = a_lines[i] if i < len(a_lines) else "(none)"
        y = b_lines[i] if i < len(b_lines) else "(none)"
        if x != y:
            return f"line {i + 1}: interpreter {x!r} / jit {y!r}"
    return "(line ends)"


def extended(vector):
    return bool((vector.get("decoder_config") or {}).get("extended"))


def option_value(value):
    """A decoder_config value as `--option` takes it: booleans as true/false, the rest as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_options(vector, config):
    """--option NAME=VALUE arguments for the vector's decoder_config keys the key map names."""
    settings = vector.get("decoder_config") or {}
    return tuple(f"{option}={option_value(settings[key])}" for key, option in sorted(config.items())
                 if key in settings)


def runs_of(vectors, config=None):
    """Consecutive protocol_decoder vectors of one session with the same transport and settings."""
    runs = []
    for v in vectors:
        if v["stage"] != "protocol_decoder":
            continue
        key = (v["session"], v["transport"], extended(v), config_options(v, config or {}))
        if runs and runs[-1][0] == key:
            runs[-1][1].append(v)
        else:
            runs.append((key, [v]))
    return runs


def position_problem(messages):
    """Why the messages fail the location check, or None."""
    located = [m for m in messages if "position.latitude" in m or "position.longitude" in m]
    if not located:
        return "no message has position.latitude and position.longitude"
    for m in located:
        lat, lon = m.get("position.latitude"), m.get("position.longitude")
        if not isinstance(lat, (int, float)) or not -90 <= lat <= 90:
            return f"position.latitude {lat!r} out of range"
        if not isinstance(lon, (int, float)) or not -180 <= lon <= 180:
            return f"position.longitude {lon!r} out of range"
    return None


class KeyMap(dict):
    """Traccar key -> {"param", "scale"} or {"values"} (None for a skipped key), with the file's
    per-vector exceptions and decoder_config options."""
    exceptions = {}
    config = {}
    tolerated = {}
    frame_unescape = {}
    frame_dropped = {}
    stream_escape = {}


def load_keymap(name):
    """The protocol's KeyMap, or None without a map file."""
    path = os.path.join(KEYMAP_DIR, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        entries = json.load(f)
    keymap = KeyMap(POSITION_KEYS)
    keymap.exceptions = entries.pop("_exceptions", {})
    keymap.config = entries.pop("_config", {})
    keymap.tolerated = entries.pop("_tolerated", {})
    keymap.frame_unescape = entries.pop("_frame_unescape", {})
    keymap.frame_dropped = entries.pop("_frame_dropped", {})
    keymap.stream_escape = entries.pop("_stream_escape", {})
    for key in entries.pop("_skip", {}):
        keymap[key] = None
    for key, entry in entries.items():
        keymap[key] = {"param": entry} if isinstance(entry, str) else entry
    return keymap


def traccar_time(text):
    """Unix seconds of Traccar's "yyyy-MM-dd HH:mm:ss.SSS" (UTC)."""
    date, clock = text.split(" ")
    seconds, _, millis = clock.partition(".")
    fields = [int(x) for x in date.split("-") + seconds.split(":")]
    return calendar.timegm(tuple(fields) + (0, 0, 0)) + int(millis or 0) / 1000


def value_problem(key, expected, entry, message):
    """Why one message does not carry the checked value under its mapped parameter, or None."""
    if "values" in entry:
        for text in expected.split(","):  # several events in one value: "lowBattery,removing"
            param = entry["values"].get(text)
            if param is None:
                return f"{key}: {text!r} is not in the key map's values"
            if message.get(param) is not True:
                return f"{key}: {param} is {message.get(param)!r}, expected true"
        return None
    param = entry["param"]
    if expected is None:
        return f"{key}: expected {param} to be absent, got {message[param]!r}" if param in message else None
    if param not in message:
        return f"{key}: {param} is missing (expected {expected!r})"
    actual = message[param]
    if key == "time":
        expected = traccar_time(expected)
        ok = isinstance(actual, (int, float)) and abs(actual - expected) < 5e-4
    elif isinstance(expected, bool) or isinstance(expected, str):
        ok = actual == expected
    else:
        expected = expected * entry.get("scale", 1)
        ok = (isinstance(actual, (int, float)) and not isinstance(actual, bool)
              and math.isclose(actual, expected, rel_tol=1e-5, abs_tol=1e-9))
    return None if ok else f"{key}: {param} is {actual!r}, expected {expected!r}"


def check_values(v, frame, keymap):
    """Problems of a vector's checked values against the messages of one frame record."""
    problems = []
    messages = frame["decoded"] if v["expect"] == "positions" else frame["decoded"][:1]
    exempt = keymap.exceptions.get(v["note"], {})
    for key, expected in (v.get("checks") or {}).items():
        if key in exempt:
            continue
        if key not in keymap:
            problems.append(f"{key}: not in the key map")
        elif keymap[key] is not None:
            problems += [why for m in messages if (why := value_problem(key, expected, keymap[key], m))]
    return problems


def check_packet(v, strict, lenient, keymap=None):
    """Problems of one protocol_decoder vector given its strict and lenient frame records."""
    problems = []
    integrity = v.get("integrity") or {}
    tolerated = keymap.tolerated if keymap is not None else {}
    failed = {key for key in ("crc_ok", "checksum_ok", "length_ok") if integrity.get(key) is False}
    if integrity.get("length_ok_if_crlf_appended") is True:
        failed.discard("length_ok")
    corrupt = bool(failed - tolerated.keys())
    if failed and not corrupt and not strict["warnings"]:
        problems.append(f"strict: {', '.join(sorted(failed))} is false, which the protocol must report as a warning")
    if v["expect"] == "null":
        for mode, frame in (("strict", strict), ("crc warn", lenient)):
            if frame["messages"]:
                problems.append(f"{mode}: expected no message, got {frame['messages']}")
        if strict["error"] is not None and not corrupt:
            problems.append(f"strict: unexpected error: {strict['error']}")
        return problems
    if v["expect"] not in DATA_EXPECTS:
        return [f"unknown expect {v['expect']!r}"]
    if corrupt and strict["error"] is None:
        problems.append(f"strict: the integrity check fails ({integrity}) but the frame was accepted")
    if not corrupt and not strict["messages"]:
        problems.append(f"strict: expected a message, got none (error: {strict['error']})")
    if not lenient["messages"]:
        problems.append(f"crc warn: expected a message, got none (error: {lenient['error']})")
    located = keymap is None or "location" not in keymap.exceptions.get(v["note"], {})
    if v["expect"] in ("position", "positions") and v.get("check_location") is not False and located:
        for mode, frame in (("strict", strict), ("crc warn", lenient)):
            if frame["decoded"]:
                why = position_problem(frame["decoded"])
                if why:
                    problems.append(f"{mode}: {why}")
    if keymap is not None:
        mode, frame = ("strict", strict) if strict["decoded"] else ("crc warn", lenient)
        if frame["decoded"]:
            problems += [f"{mode}: {why}" for why in check_values(v, frame, keymap)]
    return problems


def replay_packets(decoder, protocol, vectors, workdir, report, keymap):
    for (session, transport, ext, options), run in runs_of(vectors, keymap.config if keymap else None):
        hex_lines = [v["hex"] for v in run]
        # "unknown" (a protocol Traccar serves on TCP and UDP): the test bytes are one message as the
        # frame decoder leaves it, often without its terminator, so each is replayed as a datagram.
        extra = ["--framed", "--transport", "tcp" if transport == "tcp" else "udp"]
        if keymap is not None and keymap.stream_escape:
            hex_lines = [escaped(h, keymap.stream_escape) for h in hex_lines]
            extra = ["--transport", "tcp"]
        if ext:
            extra += ["--option", "extended=true"]
        for option in options:
            extra += ["--option", option]
        results = []
        for mode_extra in ([], ["--crc", "warn"]):
            status, stderr, frames = decoder.decode(protocol, hex_lines, workdir, extra + mode_extra)
            if status == 2 or frames is None or len(frames) != len(run):
                why = stderr.strip().splitlines()[-1] if stderr.strip() else "no output"
                count = "?" if frames is None else len(frames)
                for v in run:
                    report(v, [f"{' '.join(mode_extra) or 'strict'}: decode gave {count} frames for {len(run)} "
                               f"packets (exit {status}): {why}"])
                break
            results.append(frames)
        else:
            for v, strict, lenient in zip(run, results[0], results[1]):
                report(v, check_packet(v, strict, lenient, keymap))


def stream_frames(frames, stream_size):
    """Frames cut from a stream, without the leftover that the end of the stream reports and
    without bytes the framing rejected (skipped until a frame starts, as frame decoders drop them)."""
    last = frames[-1] if frames else None
    if last and "incomplete:" in (last["error"] or "") and last["offset"] + last["size"] == stream_size:
        frames = frames[:-1]
    return [f for f in frames if ": bad frame: " not in (f["error"] or "")]


def unescaped(hex_text, escapes):
    """A frame's hex with each escape sequence (hex -> hex) undone, scanning left to right."""
    data, out, i = bytes.fromhex(hex_text), bytearray(), 0
    pairs = [(bytes.fromhex(k), bytes.fromhex(v)) for k, v in escapes.items()]
    while i < len(data):
        for escape, byte in pairs:
            if data.startswith(escape, i):
                out += byte
                i += len(escape)
                break
        else:
            out.append(data[i])
            i += 1
    return out.hex()


def replay_frames(decoder, protocol, vectors, workdir, report, keymap):
    calls = {}  # (session, input_variable) -> calls so far on that buffer
    for v in vectors:
        if v["stage"] != "frame_decoder":
            continue
        index = 0
        if v.get("input_variable"):
            key = (v["session"], v["input_variable"])
            index = calls.get(key, 0)
            calls[key] = index + 1
        status, stderr, frames = decoder.decode(protocol, [v["hex"]], workdir, [])
        if status == 2 or frames is None:
            report(v, [f"decode failed (exit {status}): {stderr.strip()}"])
            continue
        frames = stream_frames(frames, len(v["hex"]) // 2)
        if keymap is not None and keymap.frame_unescape:
            frames = [dict(f, hex=unescaped(f["hex"], keymap.frame_unescape)) for f in frames]
        if keymap is not None and keymap.frame_dropped:
            frames = [f for f in frames if not any(re.fullmatch(p, f["hex"]) for p in keymap.frame_dropped)]
        if v["expect"] == "null":
            report(v, [f"expected no frame, got {frames[index]['hex']}"] if len(frames) > index else [])
        elif len(frames) <= index:
            report(v, [f"expected frame {v['frame_out']}, got {len(frames)} frames"])
        elif frames[index]["hex"] != v["frame_out"]:
            report(v, [f"expected frame {v['frame_out']}, got {frames[index]['hex']}"])
        else:
            report(v, [])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pvm", required=True, help="the pvm binary")
    parser.add_argument("--vectors", help="the .jsonl file (default: tests/vectors/traccar/PROTOCOL.jsonl)")
    parser.add_argument("--compare-engines", action="store_true",
                        help="decode everything on the interpreter and with --jit, and fail where they differ")
    parser.add_argument("protocol", help="the protocol to decode with (a stdlib name or a .pvm/.pvmc path)")
    args = parser.parse_args()
    name = os.path.splitext(os.path.basename(args.protocol))[0]
    vectors = load_vectors(args.vectors or os.path.join(VECTORS_DIR, name + ".jsonl"))

    counts = {"passed": 0, "failed": 0}

    def report(vector, problems):
        if problems:
            counts["failed"] += 1
            disabled = " (disabled in Traccar)" if vector.get("disabled") else ""
            print(f"FAIL {vector['note']}{disabled}: {'; '.join(problems)}")
        else:
            counts["passed"] += 1

    with tempfile.TemporaryDirectory() as workdir:
        keymap = load_keymap(name)
        decoder = Decoder(args.pvm, args.compare_engines)
        replay_packets(decoder, args.protocol, vectors, workdir, report, keymap)
        replay_frames(decoder, args.protocol, vectors, workdir, report, keymap)
    for note in sorted(decoder.notes):
        print(note)
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
