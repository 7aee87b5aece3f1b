"""`promtool check metrics` finds nothing to say about /metrics after real traffic (names, types,
help texts, histogram and counter conventions). Skipped when promtool is not installed: Debian's
prometheus package has it, too large for the set-up to install for one check."""

import shutil
import subprocess

from gateway_e2e import Gateway, Skip, TcpDevice, UdpDevice, free_port, make_fleet, run_main


def body(args, work):
    promtool = shutil.which("promtool")
    if not promtool:
        raise Skip("promtool is not installed (apt-get install prometheus)")
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--listen", f"teltonika@udp://127.0.0.1:{port}",
                                       "--sink", f"jsonl:{work.file('m.jsonl')}", "--sink", "stdout"])
    try:
        gateway.start()
        fleet = make_fleet(2, 1, 3)
        devices = [TcpDevice(port, d, p) for d, p in fleet["tcp"]] + [UdpDevice(port, d, p) for d, p in fleet["udp"]]
        for d in devices:
            d.start()
        for d in devices:
            d.join(30)
        status, text = gateway.get("/metrics")
        assert status == 200 and "pvm_ack_latency_seconds_bucket" in text
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), \
            f"promtool check metrics:\n{check.stdout}{check.stderr}"
    finally:
        gateway.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
