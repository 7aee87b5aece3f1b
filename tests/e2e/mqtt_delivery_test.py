"""Many concurrent Teltonika devices over TCP and UDP through the gateway to a real mosquitto:
every message on the broker is what `pvm decode` makes of the same bytes, on the device's
topic, exactly once and in the device's order; every ACK is the exact reply `pvm decode` gives.
Three broker connections per worker with a window of four messages each, so that most messages
wait their turn in the gateway."""

import json
import time
from collections import Counter

from gateway_e2e import (Broker, Gateway, TcpDevice, UdpDevice, check_acks, check_delivery,
                         expected_for, expected_messages, free_port, imei_of, make_fleet, run_main, split_origin,
                         subscribed, wait_until)

TCP_DEVICES = 60
UDP_DEVICES = 30
PACKETS = 8


def body(args, work):
    broker = Broker(work)
    broker.start()
    sub = subscribed(broker)
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--listen", f"teltonika@udp://127.0.0.1:{port}",
                                       "--sink", f"mqtt://127.0.0.1:{broker.port}",
                                       "--mqtt-connections", "3", "--mqtt-inflight", "4"])
    try:
        gateway.start()
        fleet = make_fleet(TCP_DEVICES, UDP_DEVICES, PACKETS)
        expected = expected_for(args.pvm, work, fleet)
        tcp = [TcpDevice(port, d, packets) for d, packets in fleet["tcp"]]
        udp = [UdpDevice(port, d, packets) for d, packets in fleet["udp"]]
        started = time.time()
        for device in tcp + udp:
            device.start()
        for device in tcp + udp:
            device.join(60)
        finished = time.time()
        assert all(d.acked == PACKETS for d in tcp + udp), "some devices did not get all their ACKs"
        check_acks(tcp, expected["tcp"], "tcp")
        check_acks(udp, expected["udp"], "udp")

        want = expected_messages(fleet, expected)
        total = sum(want.values())
        wait_until(lambda: len(sub.snapshot()) >= total, 20, f"{total} messages on the broker")
        duplicates, resent = check_delivery(Counter(sub.snapshot()), want, tcp + udp)
        # A device's messages keep their order on the broker, whichever connection carried them.
        stamps = {}
        for topic, payload in sub.raw():
            stamps.setdefault(topic, []).append(json.loads(payload)["timestamp"])
        for topic, seq in stamps.items():
            first = list(dict.fromkeys(seq))
            assert first == sorted(first), f"{topic}: messages out of order: {first}"
        # Each message says when the gateway received its frame and from which device address.
        addresses = {imei_of(d): device.addresses
                     for (d, _), device in zip(fleet["tcp"] + fleet["udp"], tcp + udp)}
        for topic, payload in sub.raw():
            _, received, peer = split_origin(payload)
            ident = json.loads(payload)["ident"]
            assert peer in addresses[ident], f"{ident}: peer {peer}, the device used {addresses[ident]}"
            assert started - 0.002 <= received <= finished + 0.002, f"server.timestamp {received} outside the run"
        metrics = gateway.metrics()
        decoded = sum(v for k, v in metrics.items() if k.startswith("pvm_messages_total"))
        assert decoded == total + duplicates, f"pvm_messages_total is {decoded}, expected {total + duplicates}"
        assert metrics["pvm_connections_total{protocol=\"teltonika\",transport=\"udp\"}"] == UDP_DEVICES
        print(f"{TCP_DEVICES} TCP + {UDP_DEVICES} UDP devices, {total} messages, {resent} packets resent")
    finally:
        gateway.stop()
        sub.stop()
        broker.stop()
    assert gateway.proc.returncode == 0, f"gateway exit status {gateway.proc.returncode}"


if __name__ == "__main__":
    run_main(__doc__, body)
