"""SIGTERM drains: with the broker frozen (SIGSTOP) a device's packet waits for its PUBACK; on
SIGTERM the gateway stops accepting connections and reports not ready, and when the broker
thaws it still publishes the packet, sends the device its ACK, and exits with status 0."""

import signal
import socket
import struct
import time

from gateway_e2e import (Broker, Gateway, _read_exact, free_port, imei_of, run_main, subscribed, tcp_login,
                         tcp_packet, wait_until)


def body(args, work):
    broker = Broker(work)
    broker.start()
    sub = subscribed(broker)
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--sink", f"mqtt://127.0.0.1:{broker.port}", "--drain-timeout", "20"])
    try:
        gateway.start()
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(tcp_login(imei_of(5)))
        assert _read_exact(s, 1) == b"\x01"
        broker.proc.send_signal(signal.SIGSTOP)
        s.sendall(tcp_packet(5, 0, 3))
        wait_until(lambda: sum(v for k, v in gateway.metrics().items() if k.startswith("pvm_sink_queue_depth")) == 3,
                   5, "three messages waiting for PUBACK")
        gateway.signal(signal.SIGTERM)
        wait_until(lambda: gateway.get("/readyz")[0] == 503, 5, "/readyz to report the shutdown")

        def refused():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return False
            except OSError:
                return True
        wait_until(refused, 5, "new connections to be refused")
        time.sleep(0.5)
        assert gateway.proc.poll() is None, "the gateway exited without waiting for the broker"
        broker.proc.send_signal(signal.SIGCONT)
        assert _read_exact(s, 4) == struct.pack(">I", 3), "the ACK after the drain"
        assert gateway.wait(20) == 0, f"gateway exit status {gateway.proc.returncode}"
        wait_until(lambda: len(sub.snapshot()) == 3, 5, "the drained messages on the broker")
        s.close()
    finally:
        if broker.proc and broker.proc.poll() is None:
            broker.proc.send_signal(signal.SIGCONT)
        gateway.stop()
        sub.stop()
        broker.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
