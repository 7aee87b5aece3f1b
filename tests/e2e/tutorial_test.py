"""The tutorial's protocol (examples/tutorial/ubx.pvm, docs/tutorial.md) in `pvm serve`, as the
tutorial's last step runs it: a device sends the sample capture; the gateway polls it for its
unique ID, prints its positions, and sends it the `rate` command given over HTTP, whose ACK
comes back in the HTTP response."""

import json
import os
import socket
import threading

from gateway_e2e import ROOT, Gateway, _read_exact, free_port, run_main, wait_until

PROTOCOL = os.path.join(ROOT, "examples", "tutorial", "ubx.pvm")
CAPTURE = os.path.join(ROOT, "examples", "tutorial", "ubx.hex")
POLL_UNIQID = bytes.fromhex("b562270300002aa5")
RATE_500 = bytes.fromhex("b56206080600f401010001000b77")  # pvm encode -p ubx.pvm rate ms=500
IDENT = "3a7f12c405"


def capture_segments():
    with open(CAPTURE) as f:
        return [bytes.fromhex(line.replace(" ", "")) for line in f.read().splitlines()
                if line.strip() and not line.startswith("#")]


def body(args, work):
    first_a, first_b, uniqid, second_and_ack, no_fix = capture_segments()
    second, ack = second_and_ack[:100], second_and_ack[100:]
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"{PROTOCOL}@tcp://127.0.0.1:{port}"], workers=1)
    try:
        gateway.start()
        device = socket.create_connection(("127.0.0.1", port), timeout=10)
        device.sendall(first_a)
        device.sendall(first_b)
        assert _read_exact(device, len(POLL_UNIQID)) == POLL_UNIQID, "the gateway did not poll for the unique ID"
        device.sendall(uniqid + second)

        result = {}

        def command():
            result["http"] = gateway.request("POST", f"/devices/{IDENT}/commands/rate?wait=10", b'{"ms": 500}')

        asking = threading.Thread(target=command)
        asking.start()
        assert _read_exact(device, len(RATE_500)) == RATE_500, "the device got other bytes than pvm encode builds"
        device.sendall(ack)
        asking.join(15)
        status, text = result.get("http", (0, ""))
        assert status == 200, f"HTTP command: {status} {text}"
        assert json.loads(text)["response"]["command.response"] == "ack 0608", text

        device.sendall(no_fix)
        device.close()

        def messages():
            with open(gateway.out_path) as f:
                return [json.loads(line) for line in f if line.startswith("{")]
        wait_until(lambda: len(messages()) >= 4, 10, "four messages on standard output")
        got = messages()
        assert "ident" not in got[0] and got[0]["position.latitude"] == 54.6872, got[0]
        assert all(m.get("ident") == IDENT for m in got[1:]), got
        assert [m.get("position.valid") for m in got] == [True, True, None, False], got
    finally:
        gateway.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
