"""The MQTT broker stops in the middle of a run: the gateway stays up, reports not ready, and
ACKs nothing while the broker is away; once it is back every record of every device reaches
the broker, and every ACK a device got is the exact reply `pvm decode` gives. A window of four
messages in flight, so that messages also wait in the gateway while the broker is away."""

import time
from collections import Counter

from gateway_e2e import (Broker, Gateway, TcpDevice, UdpDevice, check_acks, check_delivery,
                         expected_for, expected_messages, free_port, make_fleet, run_main, subscribed, wait_until)

TCP_DEVICES = 20
UDP_DEVICES = 10
PACKETS = 30
OUTAGE = 3.0
# An ACK already on its way when the broker stopped may still arrive just after.
GRACE = 0.3


def body(args, work):
    broker = Broker(work)
    broker.start()
    sub = subscribed(broker)
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--listen", f"teltonika@udp://127.0.0.1:{port}",
                                       "--sink", f"mqtt://127.0.0.1:{broker.port}", "--mqtt-inflight", "4"])
    try:
        gateway.start()
        fleet = make_fleet(TCP_DEVICES, UDP_DEVICES, PACKETS)
        expected = expected_for(args.pvm, work, fleet)
        tcp = [TcpDevice(port, d, packets, ack_timeout=2.0, pause=0.05) for d, packets in fleet["tcp"]]
        udp = [UdpDevice(port, d, packets, ack_timeout=1.0, pause=0.05) for d, packets in fleet["udp"]]
        devices = tcp + udp
        for device in devices:
            device.start()
        wait_until(lambda: sum(d.acked for d in devices) >= len(devices) * 3, 20, "the first ACKs")

        broker.stop()
        down = time.monotonic()
        acked_at_stop = sum(d.acked for d in devices)
        wait_until(lambda: gateway.get("/readyz")[0] == 503, 5, "/readyz to report the broker away")
        time.sleep(OUTAGE)
        assert gateway.proc.poll() is None, "the gateway exited while the broker was away"
        broker.start()
        up = time.monotonic()

        for device in devices:
            device.join(60)
        assert all(d.acked == PACKETS for d in devices), "some devices never got all their ACKs"
        late = [(i, t - down) for d in devices for i, _, t in d.replies if i >= 0 and down + GRACE < t < up]
        assert not late, f"{len(late)} ACKs while the broker was away, e.g. packet {late[0][0]} at +{late[0][1]:.2f}s"
        check_acks(tcp, expected["tcp"], "tcp")
        check_acks(udp, expected["udp"], "udp")

        want = expected_messages(fleet, expected)
        wait_until(lambda: not (want - Counter(sub.snapshot())), 20, "every record on the broker")
        duplicates, resent = check_delivery(Counter(sub.snapshot()), want, devices)
        assert gateway.get("/readyz")[0] == 200
        print(f"{acked_at_stop} packets ACKed before the outage, {sum(want.values())} messages delivered, "
              f"{resent} packets resent, {duplicates} duplicates")
    finally:
        gateway.stop()
        sub.stop()
        broker.stop()
    assert gateway.proc.returncode == 0, f"gateway exit status {gateway.proc.returncode}"


if __name__ == "__main__":
    run_main(__doc__, body)
