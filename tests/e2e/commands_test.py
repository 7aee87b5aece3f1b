"""Commands to a connected device, over HTTP and over MQTT: the device receives exactly the
bytes `pvm encode` builds, its codec 12 answer comes back in the HTTP response and is published
on the broker like any message. Unknown devices and bad commands get clear errors."""

import json
import socket
import struct
import subprocess
import threading
import time

from gateway_e2e import (ROOT, Broker, Gateway, _read_exact, crc16_arc, free_port, imei_of, publish,
                         run_main, subscribed, tcp_login, tcp_packet, wait_until)


def encode(pvm, text):
    out = subprocess.run([pvm, "encode", "-p", "teltonika", "codec12", f"text={text}"], capture_output=True,
                         text=True, check=True, env={"PVM_STDLIB": f"{ROOT}/stdlib-protocols"})
    return bytes.fromhex(out.stdout.strip())


def codec12_answer(text):
    data = bytes([0x0C, 1, 0x06]) + struct.pack(">I", len(text)) + text.encode() + bytes([1])
    return struct.pack(">II", 0, len(data)) + data + struct.pack(">I", crc16_arc(data))


class Device:
    """Logs in, sends one record, then answers each codec 12 command it receives."""

    def __init__(self, port, number):
        self.imei = imei_of(number)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(tcp_login(self.imei))
        assert _read_exact(self.sock, 1) == b"\x01"
        self.sock.sendall(tcp_packet(number, 0, 1))
        assert _read_exact(self.sock, 4) == struct.pack(">I", 1)
        self.received = []

    def answer_next(self, answer):
        head = _read_exact(self.sock, 8)
        command = head + _read_exact(self.sock, struct.unpack(">I", head[4:])[0] + 4)
        self.received.append(command)
        self.sock.sendall(codec12_answer(answer))


def body(args, work):
    broker = Broker(work)
    broker.start()
    sub = subscribed(broker)
    port = free_port()
    gateway = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{port}",
                                       "--sink", f"mqtt://127.0.0.1:{broker.port}"])
    try:
        gateway.start()
        device = Device(port, 7)

        # HTTP: the request waits for the device's answer.
        answering = threading.Thread(target=device.answer_next, args=("FW:03.27.07 Hw:FMB920",))
        answering.start()
        status, text = gateway.request("POST", f"/devices/{device.imei}/commands/codec12", b'{"text": "getver"}')
        answering.join(10)
        assert status == 200, f"HTTP command: {status} {text}"
        result = json.loads(text)
        assert device.received[0] == encode(args.pvm, "getver"), "the device got other bytes than pvm encode builds"
        assert result["sent"] == device.received[0].hex()
        assert result["response"]["command.response"] == "FW:03.27.07 Hw:FMB920", result
        assert result["response"]["ident"] == device.imei

        # MQTT: published on TOPIC/commands/NAME; the answer is a message on the device's topic.
        answering = threading.Thread(target=device.answer_next, args=("DOUT1:1",))
        answering.start()
        publish(broker.port, f"pvm/teltonika/{device.imei}/commands/codec12", '{"text": "setdigout 1"}')
        answering.join(10)
        assert device.received[1] == encode(args.pvm, "setdigout 1"), "MQTT command bytes differ from pvm encode"

        def answers():
            return [json.loads(p).get("command.response") for t, p in sub.snapshot()
                    if t == f"pvm/teltonika/{device.imei}"]
        wait_until(lambda: "DOUT1:1" in answers(), 10, "the MQTT command's answer on the broker")
        assert "FW:03.27.07 Hw:FMB920" in answers(), "the HTTP command's answer was not published"

        # Errors: no such device, no such command, bad arguments, no answer in time.
        status, text = gateway.request("POST", "/devices/000000000000000/commands/codec12", b'{"text":"x"}')
        assert status == 404, f"unknown ident: {status} {text}"
        status, text = gateway.request("POST", f"/devices/{device.imei}/commands/reboot", b"{}")
        assert status == 400 and "reboot" in json.loads(text)["error"], f"unknown command: {status} {text}"
        status, text = gateway.request("POST", f"/devices/{device.imei}/commands/codec12", b"{not json")
        assert status == 400, f"bad arguments: {status} {text}"
        status, text = gateway.request("POST", f"/devices/{device.imei}/commands/codec12?wait=1", b'{"text":"x"}')
        assert status == 504 and json.loads(text)["sent"] == encode(args.pvm, "x").hex(), f"no answer: {status} {text}"
        status, text = gateway.request("POST", f"/devices/{device.imei}/commands/codec12?wait=0", b'{"text":"y"}')
        assert status == 202, f"fire and forget: {status} {text}"
        metrics = gateway.metrics()
        assert sum(v for k, v in metrics.items() if k.startswith("pvm_commands_total")) == 4, metrics
        device.sock.close()
    finally:
        gateway.stop()
        sub.stop()
        broker.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
