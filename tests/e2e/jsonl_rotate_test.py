"""logrotate against the jsonl sink: the file renamed while devices keep sending, once noticed by
the sink itself (the path names another file) and once announced by SIGHUP. Every message sent
is in exactly one of the files, none twice, and the sink writes to the new file afterwards."""

import json
import os
import signal

from gateway_e2e import Gateway, TcpDevice, free_port, make_fleet, run_main, wait_until

DEVICES = 6
PACKETS = 80


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line for line in f if line.strip()]


def body(args, work):
    out = work.file("messages.jsonl")
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}", "--sink", f"jsonl:{out}",
                                       "--no-server-fields"])
    try:
        gateway.start()
        fleet = make_fleet(DEVICES, 0, PACKETS)
        devices = [TcpDevice(port, d, packets, pause=0.1) for d, packets in fleet["tcp"]]
        for d in devices:
            d.start()
        wait_until(lambda: len(lines(out)) > 20, 20, "the first messages")
        # A rename alone: the sink notices within a second that the path names no file.
        os.rename(out, out + ".1")
        wait_until(lambda: len(lines(out)) > 0, 10, "the sink to write the new file after a rename")
        # logrotate's usual way: rename, then SIGHUP.
        os.rename(out, out + ".2")
        gateway.signal(signal.SIGHUP)
        wait_until(lambda: len(lines(out)) > 0, 10, "the sink to reopen on SIGHUP")
        for d in devices:
            d.join(60)
        assert all(d.acked == PACKETS for d in devices), [d.acked for d in devices]
    finally:
        gateway.stop()
    assert gateway.proc.returncode == 0, f"gateway exit status {gateway.proc.returncode}"
    resent = sum(d.sends - len(d.packets) for d in devices)
    assert resent == 0, f"{resent} packets sent twice: the test cannot tell a duplicate from a resend"
    files = [out + ".1", out + ".2", out]
    counts = [len(lines(f)) for f in files]
    assert all(counts), f"a file of the rotation is empty: {counts}"
    records = [line for f in files for line in lines(f)]
    keys = [(m["ident"], m["timestamp"]) for m in map(json.loads, records)]
    assert not any("server.timestamp" in line or '"peer"' in line for line in records), "--no-server-fields"
    # make_fleet: device d packet p carries 1 + (d + p) % 4 records.
    want = sum(1 + (d + p) % 4 for d in range(DEVICES) for p in range(PACKETS))
    assert len(set(keys)) == len(keys), f"{len(keys) - len(set(keys))} duplicated lines across the rotation"
    assert len(keys) == want, f"{len(keys)} lines across {counts}, {want} messages sent"
    assert "sink reopened" in gateway.log()


if __name__ == "__main__":
    run_main(__doc__, body)
