#!/usr/bin/env python3
"""pvm decode --trace over the input of every stdlib protocol's golden tests.

For each test, `--trace=json` must agree with the stream and with an untraced decode: every field
row's bytes are the stream's bytes at its offset (for JT/T 808, once its escapes are undone), every
frame ends with a record whose messages add up to the untraced decode's and whose error is the
one the untraced decode reported, a rejected frame says where it stopped, and every call row names
the call. `--trace` (text) must have one block per frame, hold no control characters, and end a
rejected frame with its reason.
Then a few rows whose content is known: the sample capture's codec, the tutorial's checksum.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVENTS = {"read", "skip", "seek", "within", "call", "store"}
SOURCE = re.compile(r"^[\w./-]+\.pvm:\d+:\d+$")
FAILURES = []


def check(what, ok, detail=""):
    if not ok:
        FAILURES.append(what)
        print(f"FAIL: {what}" + (f": {str(detail)[:600]}" if detail else ""))


def parse_test(path):
    """The header keys and the sections of a .pvmtest."""
    header, sections, name = {}, {}, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("--- "):
                name = line[4:].strip()
                sections[name] = []
            elif name is not None:
                sections[name].append(line)
            elif ":" in line and not line.startswith("#"):
                key, value = line.split(":", 1)
                header.setdefault(key.strip(), []).append(value.strip())
    return header, sections


def stream_of(lines):
    """The input's bytes, all chunks one after the other."""
    out = bytearray()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("@"):
            continue
        out += bytes.fromhex("".join(line.split()))
    return bytes(out)


# JT/T 808's escapes (jt808.pvm), by the frame's delimiter.
JT808_ESCAPES = {0x7E: {b"\x7d\x02": 0x7E, b"\x7d\x01": 0x7D},
                 0xE7: {b"\xe6\x01": 0xE6, b"\xe6\x02": 0xE7, b"\x3e\x01": 0x3E, b"\x3e\x02": 0x3D}}


def unescape_jt808(wire, delimiter):
    table, out, k = JT808_ESCAPES[delimiter], bytearray(), 0
    while k < len(wire):
        if wire[k:k + 2] in table:
            out.append(table[wire[k:k + 2]])
            k += 2
        else:
            out.append(wire[k])
            k += 1
    return bytes(out)


def decode_args(pvm, test, header, hex_path):
    proto = header["protocol"][0]
    if proto.endswith((".pvm", ".pvmc")):
        proto = os.path.join(os.path.dirname(test), proto)
    args = [pvm, "decode", "-p", proto, hex_path]
    if header.get("transport", ["tcp"])[0] == "udp":
        args += ["--transport", "udp"]
    if header.get("framed", ["false"])[0] == "true":
        args += ["--framed"]
    if "crc" in header:
        args += ["--crc", header["crc"][0]]
    for option in header.get("option", []):
        args += ["--option", option]
    return args


def run(args):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT)


def check_test(pvm, test, work, totals):
    header, sections = parse_test(test)
    if "protocol" not in header or "input" not in sections or "program" in sections:
        return
    name = os.path.relpath(test, ROOT)
    hex_path = os.path.join(work, "input.hex")
    with open(hex_path, "w", encoding="utf-8") as f:
        f.write("\n".join(sections["input"]) + "\n")
    stream = stream_of(sections["input"])
    base = decode_args(pvm, test, header, hex_path)
    plain = run(base + ["--output", "json"])
    messages = len([l for l in plain.stdout.splitlines() if l.strip()])
    traced = run(base + ["--trace=json"])
    check(f"{name}: --trace=json exits as an untraced decode", traced.returncode == plain.returncode,
          (plain.returncode, traced.returncode, traced.stderr))
    check(f"{name}: --trace=json reports errors as an untraced decode", traced.stderr == plain.stderr,
          (plain.stderr, traced.stderr))
    rows, ends = [], []
    for line in traced.stdout.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            check(f"{name}: a JSON line", False, f"{e}: {line}")
            return
        if row["event"] == "end":
            ends.append((row, rows))
            rows = []
        else:
            rows.append(row)
    check(f"{name}: every row belongs to a frame that ends", not rows, rows[:2])
    check(f"{name}: frames numbered 1..N", [e["frame"] for e, _ in ends] == list(range(1, len(ends) + 1)),
          [e["frame"] for e, _ in ends])
    check(f"{name}: the frames' messages are the untraced decode's",
          sum(e["messages"] for e, _ in ends) == messages, (messages, [e["messages"] for e, _ in ends]))
    proto = os.path.basename(header["protocol"][0]).removesuffix(".pvm")
    for end, frame_rows in ends:
        where = f"{name} frame {end['frame']}"
        rejected = end["outcome"] == "rejected"
        check(f"{where}: a rejected frame has its error, a decoded one none", rejected == (end["error"] is not None),
              end)
        if rejected:
            check(f"{where}: the error is the untraced decode's",
                  any(l.endswith(": " + end["error"]) for l in plain.stderr.splitlines()), (end, plain.stderr))
            check(f"{where}: stopped inside the frame",
                  end["offset"] <= end["stopped"] <= end["offset"] + end["size"], end)
            totals["rejected"] += 1
        for r in frame_rows:
            check(f"{where}: event {r['event']} is known", r["event"] in EVENTS, r)
            check(f"{where}: source {r['source']!r}", r["source"] == "" or SOURCE.match(r["source"]), r)
            check(f"{where}: outcome", r["outcome"] == end["outcome"], r)
            # Also a call whose own statement the optimizer left without code.
            check(f"{where}: a call row names its call", r["event"] != "call" or r["what"] != "", r)
            if r["event"] not in ("read", "skip", "within") or not r.get("in_frame", True) or r.get("cut"):
                continue
            check(f"{where}: a field inside its frame",
                  end["offset"] <= r["offset"] and r["offset"] + r["length"] <= end["offset"] + end["size"], (end, r))
            wire = stream[r["offset"]:r["offset"] + r["length"]]
            if r["length"] * 2 == len(r["hex"]):
                check(f"{where}: the bytes at offset {r['offset']}", wire.hex() == r["hex"], (wire.hex(), r))
                totals["bytes"] += 1
            elif proto == "jt808":
                check(f"{where}: the escaped bytes at offset {r['offset']}",
                      unescape_jt808(wire, stream[end["offset"]]).hex() == r["hex"], (wire.hex(), r))
                totals["escaped"] += 1
            else:
                check(f"{where}: fewer bytes than on the wire only where escapes were undone",
                      len(r["hex"]) < r["length"] * 2 and proto in ("gosafe", "watch"), r)
            if r["event"] == "read" and "value" in r and r["source"].startswith(proto + ".pvm:"):
                totals["values"].add(proto)

    text = run(base + ["--trace"])
    check(f"{name}: --trace exits as an untraced decode", text.returncode == plain.returncode, text.stderr)
    check(f"{name}: --trace has no control characters",
          not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text.stdout), repr(text.stdout[:300]))
    heads = re.findall(r"^\S.*: frame (\d+) at offset (\d+), \d+ bytes?(, rejected)?$", text.stdout, re.M)
    check(f"{name}: --trace has a block per frame",
          [(int(n), int(o), bool(r)) for n, o, r in heads] ==
          [(e["frame"], e["offset"], e["outcome"] == "rejected") for e, _ in ends], (heads, len(ends)))
    for end, _ in ends:
        if end["error"] is not None:
            check(f"{name}: --trace says where frame {end['frame']} stopped and why",
                  f"  stopped at offset {end['stopped']} in {end['function']}\n  error   {end['error']}\n"
                  in text.stdout, end)


def check_known_rows(pvm):
    # The sample capture: the codec byte of the first AVL packet, as a row and as a line.
    sample = ["-p", "teltonika", "examples/captures/teltonika.hex"]
    rows = [json.loads(l) for l in run([pvm, "decode", *sample, "--trace=json"]).stdout.splitlines()]
    codec = [r for r in rows if r["event"] == "read" and r["what"] == "u8 ==> $codec"]
    check("teltonika: the codec read", codec and codec[0]["frame"] == 2 and codec[0]["offset"] == 25 and
          codec[0]["hex"] == "08" and codec[0]["value"] == 8 and codec[0]["depth"] == 1 and
          re.match(r"teltonika\.pvm:\d+:5$", codec[0]["source"]), codec[:1])
    speed = [r for r in rows if r["event"] == "read" and r.get("target") == "#position.speed"]
    check("teltonika: a read stored in a parameter", speed and speed[0]["offset"] == 49 and
          speed[0]["hex"] == "0000" and speed[0]["value"] == 0, speed[:1])
    ident = [r for r in rows if r["event"] == "store" and r.get("target") == "session.ident"]
    check("teltonika: the login's ident", ident and ident[0]["value"] == "356307042441013", ident[:1])
    text = run([pvm, "decode", *sample, "--trace"]).stdout
    check("teltonika: the codec line",
          re.search(r"^  +25  08 +teltonika\.pvm:\d+:5 +  u8 ==> \$codec = 8$", text, re.M), text[:2000])

    before = run([pvm, "decode", "-p", "teltonika", "--trace", "examples/captures/teltonika.hex"]).stdout
    check("--trace before the input leaves the input alone", before == text, before[:300])

    # The tutorial's protocol over a message whose checksum is wrong: the fields read, then why.
    bad = "b562270309000100 00003a7f12c405c8 6d\n"
    args = [pvm, "decode", "-p", "examples/tutorial/ubx.pvm", "-"]
    r = subprocess.run(args + ["--trace=json"], input=bad, capture_output=True, text=True, cwd=ROOT)
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    check("ubx: the bad checksum frame exits 1", r.returncode == 1, r.stderr)
    check("ubx: the checksum read at its offset", rows and rows[0]["offset"] == 15 and rows[0]["hex"] == "c86d" and
          rows[0]["value"] == 0x6DC8 and rows[0]["at"], rows[:1])
    check("ubx: the rejected frame's end", rows and rows[-1]["event"] == "end" and
          rows[-1]["function"] == "packet.tcp" and rows[-1]["outcome"] == "rejected" and
          "UBX checksum mismatch (ubx.pvm:" in rows[-1]["error"], rows[-1:])

    # Device text reaches the terminal escaped: a login of control characters.
    r = subprocess.run([pvm, "decode", "-p", "teltonika", "-", "--trace"], input="000f1b5b324a07000000000000000000000000\n",
                       capture_output=True, text=True, cwd=ROOT)
    check("teltonika: device text escaped", "\x1b" not in r.stdout and "\x07" not in r.stdout and
          r'"\x1b[2J\x07\x00' in r.stdout, repr(r.stdout))

    # Usage: an unknown trace format and --trace with --output are refused.
    r = run([pvm, "decode", *sample, "--trace=xml"])
    check("--trace=xml is refused", r.returncode == 2 and "--trace" in r.stderr, r.stderr)
    r = run([pvm, "decode", *sample, "--trace", "--output", "frames"])
    check("--trace excludes --output", r.returncode == 2 and "excludes" in r.stderr, r.stderr)


def check_tutorial(pvm, work):
    """docs/tutorial.md's trace of a draft that forgot a skip is what --trace prints for that draft."""
    with open(os.path.join(ROOT, "docs", "tutorial.md"), encoding="utf-8") as f:
        doc = f.read()
    with open(os.path.join(ROOT, "examples", "tutorial", "ubx.pvm"), encoding="utf-8") as f:
        source = f.read().splitlines(keepends=True)
    draft = [l for l in source if not re.match(r"\s*skip 1\s+// flags2", l)]
    check("tutorial: the draft drops one line", len(draft) == len(source) - 1)
    draft_path = os.path.join(work, "ubx.pvm")
    with open(draft_path, "w", encoding="utf-8") as f:
        f.writelines(draft)
    for flag, fence in (("--trace", "$ build/cli/pvm decode -p ubx.pvm examples/tutorial/ubx.hex --trace\n"),
                        ("--trace=json", "```\n{")):
        start = doc.find(fence)
        check(f"tutorial: the {flag} excerpt", start >= 0)
        if start < 0:
            continue
        # The excerpt's lines, the command and the "..." of lines left out aside.
        first = start + len(fence) - (flag == "--trace=json")
        shown = [l for l in doc[first:doc.find("```", first)].splitlines() if l.strip() != "..."]
        actual = run([pvm, "decode", "-p", draft_path, "examples/tutorial/ubx.hex", flag]).stdout.splitlines()
        at = 0
        for line in shown:
            while at < len(actual) and actual[at] != line:
                at += 1
            check(f"tutorial: {flag} prints {line!r}", at < len(actual))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pvm", required=True)
    args = parser.parse_args()
    pvm = os.path.abspath(args.pvm)
    totals = {"bytes": 0, "escaped": 0, "rejected": 0, "values": set()}
    tests_dir = os.path.join(ROOT, "stdlib-protocols", "tests")
    protocols = sorted(d for d in os.listdir(tests_dir) if d != "lib")
    with tempfile.TemporaryDirectory(prefix="pvm-trace-") as work:
        for proto in protocols:
            folder = os.path.join(tests_dir, proto)
            for test in sorted(os.listdir(folder)):
                if test.endswith(".pvmtest"):
                    check_test(pvm, os.path.join(folder, test), work, totals)
    # Every protocol traced a read of its own source to a value, and the checks above saw work.
    missing = [p for p in protocols if p not in totals["values"]]
    check("every stdlib protocol's trace reads values in its own source", not missing, missing)
    check("field bytes compared with the stream", totals["bytes"] > 1000, totals["bytes"])
    check("escaped JT/T 808 fields compared", totals["escaped"] > 0, totals["escaped"])
    check("rejected frames traced", totals["rejected"] > 10, totals["rejected"])
    check_known_rows(pvm)
    with tempfile.TemporaryDirectory(prefix="pvm-trace-") as work:
        check_tutorial(pvm, work)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        return 1
    print(f"ok: {len(protocols)} protocols, {totals['bytes']} field bytes, {totals['escaped']} escaped, "
          f"{totals['rejected']} rejected frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
