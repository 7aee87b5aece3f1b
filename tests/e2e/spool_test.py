"""The on-disk spool: with the broker away from the start the gateway still ACKs (once the
records are synced to the spool), is killed with SIGKILL mid-run, and started again after the
broker is back: every record a device got an ACK for reaches the broker, and the spool empties."""

import os
import time
from collections import Counter

from gateway_e2e import (Broker, Gateway, TcpDevice, UdpDevice, check_acks, check_delivery,
                         expected_for, expected_messages, free_port, make_fleet, run_main, subscribed, wait_until)

TCP_DEVICES = 20
UDP_DEVICES = 10
PACKETS = 20


def spool_bytes(gateway):
    return sum(v for k, v in gateway.metrics().items() if k.startswith("pvm_spool_bytes"))


def body(args, work):
    broker = Broker(work)  # not started: the broker is away when the devices begin
    port = free_port()
    spool = work.file("spool")
    flags = ["--listen", f"teltonika@tcp://127.0.0.1:{port}", "--listen", f"teltonika@udp://127.0.0.1:{port}",
             "--sink", f"mqtt://127.0.0.1:{broker.port}", "--spool", spool]
    first = Gateway(args.pvm, work, flags, "gateway-1")
    second = Gateway(args.pvm, work, flags, "gateway-2")
    sub = None
    try:
        first.start()
        fleet = make_fleet(TCP_DEVICES, UDP_DEVICES, PACKETS)
        expected = expected_for(args.pvm, work, fleet)
        tcp = [TcpDevice(port, d, packets, ack_timeout=2.0, pause=0.02) for d, packets in fleet["tcp"]]
        udp = [UdpDevice(port, d, packets, ack_timeout=1.0, pause=0.02) for d, packets in fleet["udp"]]
        devices = tcp + udp
        for device in devices:
            device.start()
        wait_until(lambda: sum(d.acked for d in devices) >= len(devices) * PACKETS // 2, 30,
                   "half the ACKs with the broker away")
        assert spool_bytes(first) > 0, "nothing in the spool"
        first.kill()
        acked_at_kill = sum(d.acked for d in devices)
        segments = [f for f in os.listdir(spool) if f.endswith(".spool")]
        assert segments, "no spool segment on disk after the kill"

        broker.start()
        sub = subscribed(broker)
        second.start()
        for device in devices:
            device.join(60)
        assert all(d.acked == PACKETS for d in devices), "some devices never got all their ACKs"
        check_acks(tcp, expected["tcp"], "tcp")
        check_acks(udp, expected["udp"], "udp")
        want = expected_messages(fleet, expected)
        wait_until(lambda: not (want - Counter(sub.snapshot())), 30, "every record on the broker")
        duplicates, resent = check_delivery(Counter(sub.snapshot()), want, devices)
        wait_until(lambda: spool_bytes(second) == 0, 10, "the spool to empty")
        second.stop()
        assert second.proc.returncode == 0, f"gateway exit status {second.proc.returncode}"
        left = [f for f in os.listdir(spool) if os.path.getsize(os.path.join(spool, f)) > 0]
        assert not left, f"spool segments left after a clean stop: {left}"
        print(f"{acked_at_kill} packets ACKed from the spool before the kill ({len(segments)} segments), "
              f"{sum(want.values())} messages delivered, {resent} resent, {duplicates} duplicates")
    finally:
        for g in (first, second):
            if g.proc:
                g.stop()
        if sub:
            sub.stop()
        broker.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
