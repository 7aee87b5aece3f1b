#!/usr/bin/env python3
"""Drives `pvm lsp` over its standard input and output as an editor would: diagnostics on open and
after an edit, hover, definition (also into a used file), references (also from another file of
the workspace), completion, the outline, hostile input, and shutdown/exit. Every byte the server
writes to standard output must be a well-framed message."""

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading

# The document under test; LSP lines are 0-based, as the comments count them.
DOC = """protocol tut
use "lib/time.pvm"
const HEADER = 0x2424
session count: int
packet tcp {
    expect u16 == HEADER, "bad start"
    u8 ==> $len
    emit {
        epoch_seconds(2000 + u8, u8, u8, 0, 0, 0) ==> #timestamp
        i32 / 1e6 ==> #position.latitude
        $len + session.count ==> #custom.len
    }
}
"""
#  0 protocol tut
#  1 use "lib/time.pvm"
#  2 const HEADER = 0x2424
#  3 session count: int
#  4 packet tcp {
#  5     expect u16 == HEADER, "bad start"
#  6     u8 ==> $len
#  7     emit {
#  8         epoch_seconds(2000 + u8, u8, u8, 0, 0, 0) ==> #timestamp
#  9         i32 / 1e6 ==> #position.latitude
# 10         $len + session.count ==> #custom.len
# 11     }
# 12 }

# A second file of the workspace that uses the first one's... nothing: it has its own HEADER.
# It uses the same library function, so references to epoch_seconds find it too.
OTHER = """protocol other
use "lib/time.pvm"
packet tcp {
    emit { epoch_seconds(2001, 1, 1, 0, 0, 0) ==> #timestamp }
}
"""

TIMEOUT = 30


class Failure(Exception):
    pass


class Server:
    def __init__(self, pvm, cwd):
        self.proc = subprocess.Popen([pvm, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        self.messages = queue.Queue()
        self.pending = []  # notifications read while waiting for a response
        self.next_id = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self.stderr = b""
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stderr(self):
        self.stderr = self.proc.stderr.read()

    def _read_stdout(self):
        """Parses the stream strictly: exactly one Content-Length header, a blank line, the body."""
        out = self.proc.stdout
        try:
            while True:
                header = out.readline()
                if not header:
                    self.messages.put(("eof", None))
                    return
                if not header.startswith(b"Content-Length: ") or not header.endswith(b"\r\n"):
                    raise Failure(f"not a header line on standard output: {header!r}")
                length = int(header[16:-2])
                if out.readline() != b"\r\n":
                    raise Failure("no blank line after the header")
                body = out.read(length)
                self.messages.put(("message", json.loads(body)))
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.messages.put(("broken", str(e)))

    def next_message(self):
        try:
            kind, value = self.messages.get(timeout=TIMEOUT)
        except queue.Empty:
            raise Failure("the server did not answer in time")
        if kind == "broken":
            raise Failure(value)
        if kind == "eof":
            raise Failure("the server closed its output")
        return value

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.response(self.next_id)

    def response(self, request_id):
        while True:
            m = self.next_message()
            if "method" in m:
                self.pending.append(m)
            elif m.get("id") == request_id:
                return m

    def notification(self, method, uri=None):
        while True:
            for i, m in enumerate(self.pending):
                if m["method"] == method and (uri is None or m["params"].get("uri") == uri):
                    return self.pending.pop(i)["params"]
            m = self.next_message()
            if "method" in m:
                self.pending.append(m)
            else:
                raise Failure(f"an unexpected response while waiting for {method}: {m}")


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + name)
        if not ok:
            self.failed += 1
            if detail:
                print("  " + str(detail)[:2000])


def pos(line, character):
    return {"line": line, "character": character}


def hover_text(result):
    return (result.get("result") or {}).get("contents", {}).get("value", "")


def labels(result):
    return [i["label"] for i in (result.get("result") or {}).get("items", [])]


def run(pvm):
    c = Checks()
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "tut.pvm")
        with open(path, "w") as f:
            f.write(DOC)
        with open(os.path.join(work, "other.pvm"), "w") as f:
            f.write(OTHER)
        uri = "file://" + path
        td = {"uri": uri}
        s = Server(pvm, work)

        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(0, 0)})
        c.check("a request before initialize is refused", r.get("error", {}).get("code") == -32002, r)

        r = s.request("initialize", {"processId": None, "rootUri": "file://" + work, "capabilities": {}})
        caps = r.get("result", {}).get("capabilities", {})
        c.check("initialize: capabilities", caps.get("hoverProvider") and caps.get("definitionProvider") and
                caps.get("referencesProvider") and caps.get("documentSymbolProvider") and
                caps.get("textDocumentSync", {}).get("change") == 2 and "completionProvider" in caps, r)
        s.notify("initialized", {})

        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "pvm", "version": 1,
                                                          "text": DOC}})
        d = s.notification("textDocument/publishDiagnostics", uri)
        c.check("didOpen: a correct document has no diagnostics", d["diagnostics"] == [], d)

        # An edit that breaks line 9: #position.latitud is not a parameter.
        s.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": pos(9, 39), "end": pos(9, 40)}, "text": ""}]})
        d = s.notification("textDocument/publishDiagnostics", uri)
        diags = d["diagnostics"]
        c.check("didChange: one diagnostic, at the edited line, with its kind and hint",
                len(diags) == 1 and diags[0]["range"]["start"] == pos(9, 22) and
                diags[0]["range"]["end"] == pos(9, 39) and diags[0]["code"] == "unknown-param" and
                diags[0]["severity"] == 1 and "position.latitude" in diags[0]["message"] and
                d["version"] == 2, d)

        # A second edit inserts a line above: the diagnostic moves down with it.
        s.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"range": {"start": pos(7, 0), "end": pos(7, 0)}, "text": "    skip 1\n"}]})
        d = s.notification("textDocument/publishDiagnostics", uri)
        c.check("didChange: the diagnostic follows the inserted line",
                [x["range"]["start"]["line"] for x in d["diagnostics"]] == [10], d)

        # The whole text back (a full-document change).
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                            "contentChanges": [{"text": DOC}]})
        d = s.notification("textDocument/publishDiagnostics", uri)
        c.check("didChange: the full text again, no diagnostics", d["diagnostics"] == [], d)

        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(10, 10)})
        c.check("hover: a variable's type", "$len: int" in hover_text(r) and
                r["result"]["range"] == {"start": pos(10, 8), "end": pos(10, 12)}, r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(5, 12)})
        c.check("hover: a read's width and offset", "2 bytes" in hover_text(r) and "big-endian" in hover_text(r) and
                "offset 0 of the frame" in hover_text(r), r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(9, 10)})
        c.check("hover: a read after fixed reads has its offset", "offset 6 of the frame" in hover_text(r), r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(9, 30)})
        c.check("hover: a standard parameter's type, unit and meaning",
                "#position.latitude: number" in hover_text(r) and "latitude" in hover_text(r) and
                "degrees" in hover_text(r), r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(2, 8)})
        c.check("hover: a constant's value", "const HEADER = 9252 (int)" in hover_text(r), r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(8, 12)})
        c.check("hover: a function from a used file", "fn epoch_seconds($year: int" in hover_text(r) and
                "time.pvm" in hover_text(r), r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(6, 1)})
        c.check("hover: nothing on blank space", r.get("result") is None, r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(7, 5)})
        c.check("hover: a keyword", "one message" in hover_text(r), r)

        r = s.request("textDocument/definition", {"textDocument": td, "position": pos(5, 21)})
        c.check("definition: a constant", r.get("result") == {
            "uri": uri, "range": {"start": pos(2, 6), "end": pos(2, 12)}}, r)
        r = s.request("textDocument/definition", {"textDocument": td, "position": pos(8, 10)})
        res = r.get("result") or {}
        c.check("definition: a function in a used file",
                res.get("uri", "").endswith("/stdlib-protocols/lib/time.pvm") and
                res.get("range", {}).get("start") == pos(4, 3), r)
        r = s.request("textDocument/definition", {"textDocument": td, "position": pos(1, 8)})
        c.check("definition: a use line opens the file",
                (r.get("result") or {}).get("uri", "").endswith("/lib/time.pvm"), r)
        r = s.request("textDocument/definition", {"textDocument": td, "position": pos(10, 18)})
        c.check("definition: a session variable", r.get("result", {}).get("range", {}).get("start") == pos(3, 8), r)

        r = s.request("textDocument/references", {"textDocument": td, "position": pos(6, 12),
                                                  "context": {"includeDeclaration": True}})
        c.check("references: a variable, declaration included",
                sorted((x["range"]["start"]["line"], x["range"]["start"]["character"]) for x in r["result"]) ==
                [(6, 11), (10, 8)], r)
        r = s.request("textDocument/references", {"textDocument": td, "position": pos(8, 10),
                                                  "context": {"includeDeclaration": False}})
        found = sorted(os.path.basename(x["uri"]) for x in r.get("result") or [])
        c.check("references: a library function, from this file and another file of the workspace",
                found == ["other.pvm", "tut.pvm"], r)

        r = s.request("textDocument/completion", {"textDocument": td, "position": pos(9, 34)})
        got = labels(r)
        c.check("completion: parameter names after '#position.'", "position.latitude" in got and
                "position.speed" in got and "din[]" in got, got[:20])
        edit = next((i for i in r["result"]["items"] if i["label"] == "position.speed"), {}).get("textEdit", {})
        c.check("completion: a parameter replaces what was typed after '#'",
                edit.get("range") == {"start": pos(9, 23), "end": pos(9, 34)}, edit)
        s.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 5},
            "contentChanges": [{"range": {"start": pos(11, 5), "end": pos(11, 5)}, "text": "\n    $"}]})
        s.notification("textDocument/publishDiagnostics", uri)
        r = s.request("textDocument/completion", {"textDocument": td, "position": pos(12, 5)})
        c.check("completion: the variables in scope after '$'", labels(r) == ["$len"], labels(r))
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 6},
                                            "contentChanges": [{"text": DOC}]})
        s.notification("textDocument/publishDiagnostics", uri)
        r = s.request("textDocument/completion", {"textDocument": td, "position": pos(10, 24)})
        c.check("completion: session variables after 'session.'", sorted(labels(r)) == ["count", "ident"], labels(r))
        r = s.request("textDocument/completion", {"textDocument": td, "position": pos(6, 4)})
        got = labels(r)
        c.check("completion: keywords, reads, builtins, CRC names and declarations",
                all(w in got for w in ("within", "u16le", "regex", "HEADER", "epoch_seconds", "little")), got[:30])
        r = s.request("textDocument/completion", {"textDocument": td, "position": pos(5, 30)})
        c.check("completion: nothing inside a string", labels(r) == [], labels(r))

        r = s.request("textDocument/documentSymbol", {"textDocument": td})
        names = [x["name"] for x in r.get("result") or []]
        c.check("documentSymbol: the declarations in order", names == [
            "tut", "lib/time.pvm", "HEADER", "session.count", "packet tcp"], names)
        packet = (r.get("result") or [{}])[-1]
        c.check("documentSymbol: a packet holds its variables",
                [x["name"] for x in packet.get("children", [])] == ["$len"] and
                packet.get("range", {}).get("end") == pos(12, 1), packet)

        # Positions count UTF-16 code units: é is one, the emoji two, though they take 2 and 4 bytes.
        wide_uri = "file://" + os.path.join(work, "wide.pvm")
        s.notify("textDocument/didOpen", {"textDocument": {"uri": wide_uri, "languageId": "pvm", "version": 1, "text":
                  'protocol wide\npacket tcp {\n    emit { "\u00e9\U0001F600" + str(u8) ==> #custom.s }\n}\n'}})
        d = s.notification("textDocument/publishDiagnostics", wide_uri)
        r = s.request("textDocument/hover", {"textDocument": {"uri": wide_uri}, "position": pos(2, 24)})
        c.check("positions after non-ASCII text are in UTF-16 code units",
                d["diagnostics"] == [] and (r.get("result") or {}).get("range") ==
                {"start": pos(2, 23), "end": pos(2, 25)}, r)

        # Hostile input: the server answers and goes on.
        s.send_raw(b"Content-Length: 9\r\n\r\n{not json")
        r = s.response(None)
        c.check("malformed JSON: a parse error with a null id", r.get("error", {}).get("code") == -32700, r)
        s.send_raw(b"Content-Length: 400\r\n\r\n" + b"[" * 200 + b"]" * 200)
        r = s.response(None)
        c.check("deep nesting: refused", r.get("error", {}).get("code") == -32700, r)
        big = 17 * 1024 * 1024
        s.send_raw(b"Content-Length: %d\r\n\r\n" % big + b" " * big)
        r = s.response(None)
        c.check("a message over the size limit: refused and read past", r.get("error", {}).get("code") == -32600 and
                "larger than the limit" in r["error"]["message"], r)
        r = s.request("workspace/unknownThing", {})
        c.check("unknown method: MethodNotFound", r.get("error", {}).get("code") == -32601, r)
        s.notify("$/unknownNotification", {})
        r = s.request("textDocument/hover", {"textDocument": td, "position": {"line": -1, "character": "x"}})
        c.check("bad params: InvalidParams", r.get("error", {}).get("code") == -32602, r)
        r = s.request("textDocument/hover", {"textDocument": 7})
        c.check("a textDocument that is not an object: InvalidParams", r.get("error", {}).get("code") == -32602, r)
        s.send({"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover",
                "params": {"textDocument": {"uri": "file:///nowhere.pvm"}, "position": pos(0, 0)}})
        r = s.response(99)
        c.check("a document that is not open: a null result", "result" in r and r["result"] is None, r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(100000, 100000)})
        c.check("a position past the end of the document is clamped", "error" not in r, r)

        r = s.request("shutdown", None)
        c.check("shutdown: a null result", "result" in r and r["result"] is None, r)
        r = s.request("textDocument/hover", {"textDocument": td, "position": pos(0, 0)})
        c.check("after shutdown a request is refused", r.get("error", {}).get("code") == -32600, r)
        s.notify("exit", None)
        try:
            status = s.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            status = None
        c.check("exit: status 0 after shutdown", status == 0, status)
        kind, _ = s.messages.get(timeout=TIMEOUT)
        c.check("nothing but messages on standard output", kind == "eof", kind)

        # Exit without shutdown, and a header the framing cannot follow.
        s2 = Server(pvm, work)
        s2.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        s2.notify("exit", None)
        c.check("exit without shutdown: status 1", s2.proc.wait(timeout=TIMEOUT) == 1)
        s3 = Server(pvm, work)
        s3.send_raw(b"Content-Type: x\r\n\r\n{}")
        s3.proc.stdin.close()
        r = s3.response(None)
        c.check("a message without Content-Length: an error, then the server stops",
                r.get("error", {}).get("code") == -32700 and s3.proc.wait(timeout=TIMEOUT) == 1, r)
    print(f"{c.failed} failed")
    return 1 if c.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pvm", required=True)
    args = ap.parse_args()
    try:
        return run(args.pvm)
    except Failure as e:
        print(f"FAIL {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
