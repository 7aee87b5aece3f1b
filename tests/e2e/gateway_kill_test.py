"""The gateway is killed with SIGKILL twice in the middle of a run and started again each time:
devices reconnect and resend what was not ACKed, and every record whose ACK reached a device is
on the broker (a device never sends an ACKed record again, so one lost there would stay lost)."""

import time
from collections import Counter

from gateway_e2e import (Broker, Gateway, TcpDevice, UdpDevice, check_acks, check_delivery,
                         expected_for, expected_messages, free_port, make_fleet, run_main, subscribed, wait_until)

TCP_DEVICES = 30
UDP_DEVICES = 10
PACKETS = 25


def body(args, work):
    broker = Broker(work)
    broker.start()
    sub = subscribed(broker)
    port = free_port()
    flags = ["--listen", f"teltonika@tcp://127.0.0.1:{port}", "--listen", f"teltonika@udp://127.0.0.1:{port}",
             "--sink", f"mqtt://127.0.0.1:{broker.port}"]
    gateways = [Gateway(args.pvm, work, flags, f"gateway-{i}") for i in range(3)]
    try:
        gateways[0].start()
        fleet = make_fleet(TCP_DEVICES, UDP_DEVICES, PACKETS)
        expected = expected_for(args.pvm, work, fleet)
        tcp = [TcpDevice(port, d, packets, ack_timeout=2.0, pause=0.03) for d, packets in fleet["tcp"]]
        udp = [UdpDevice(port, d, packets, ack_timeout=1.0, pause=0.03) for d, packets in fleet["udp"]]
        devices = tcp + udp
        for device in devices:
            device.start()
        acked_at_kill = []
        for i in (1, 2):
            wait_until(lambda: sum(d.acked for d in devices) >= len(devices) * PACKETS * i // 3, 30,
                       f"{i}/3 of the ACKs")
            gateways[i - 1].kill()
            acked_at_kill.append(sum(d.acked for d in devices))
            time.sleep(0.3)
            gateways[i].start()
        for device in devices:
            device.join(60)
        assert all(d.acked == PACKETS for d in devices), "some devices never got all their ACKs"
        check_acks(tcp, expected["tcp"], "tcp")
        check_acks(udp, expected["udp"], "udp")

        want = expected_messages(fleet, expected)
        wait_until(lambda: not (want - Counter(sub.snapshot())), 20, "every record on the broker")
        duplicates, resent = check_delivery(Counter(sub.snapshot()), want, devices)
        print(f"killed after {acked_at_kill} packets ACKed: {sum(want.values())} messages delivered, "
              f"{resent} packets resent, {duplicates} duplicates")
    finally:
        for g in gateways:
            if g.proc:
                g.stop()
        sub.stop()
        broker.stop()
    assert gateways[2].proc.returncode == 0, f"gateway exit status {gateways[2].proc.returncode}"


if __name__ == "__main__":
    run_main(__doc__, body)
