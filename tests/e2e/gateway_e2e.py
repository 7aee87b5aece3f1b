"""Shared pieces of the gateway's end-to-end tests: a mosquitto broker on a free port, the
gateway process, an MQTT subscriber, simulated Teltonika devices over TCP and UDP, and the
`pvm decode` oracle their messages and ACKs are compared with. Python standard library only."""

import argparse
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pvm", required=True, help="the pvm binary")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and print its path")
    return parser.parse_args()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


_handed_out = set()


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1, chosen at random below the ephemeral range:
    the kernel never hands it to a client socket, so tests running side by side do not race.
    A test asks for several ports before anything binds them, so none is handed out twice."""
    low, _ = _ephemeral_range()
    while True:
        port = random.randrange(10000, low if low > 10100 else 60000)
        if port in _handed_out:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port))
                u.bind(("127.0.0.1", port))
            _handed_out.add(port)
            return port
        except OSError:
            continue


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Workdir:
    def __init__(self, keep):
        self.path = tempfile.mkdtemp(prefix="pvm-e2e-")
        self.keep = keep

    def file(self, name):
        return os.path.join(self.path, name)

    def close(self):
        if self.keep:
            print(f"work folder: {self.path}")
        else:
            shutil.rmtree(self.path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Processes


class Skip(Exception):
    """The test cannot run here (ctest reports it skipped)."""


SKIP_STATUS = 77


def mosquitto_binary():
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not found:
        raise Skip("mosquitto is not installed (scripts/setup.sh installs it)")
    return found


class Broker:
    """mosquitto with persistence, so that a stop and start keeps what it acknowledged."""

    def __init__(self, work, extra_config=""):
        self.binary = mosquitto_binary()
        self.port = free_port()
        self.dir = work.file("broker")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\n")
            f.write("allow_anonymous true\n")
            f.write("persistence true\n")
            f.write(f"persistence_location {self.dir}/\n")
            # Started as root, mosquitto would switch to its own user, which cannot write here.
            f.write(f"user {pwd.getpwuid(os.getuid()).pw_name}\n")
            f.write("max_queued_messages 0\n")  # the subscriber must never lose a queued message
            f.write("max_inflight_messages 100\n")
            # PUBACKs leave at once, not held back by Nagle's algorithm until our delayed ACK.
            f.write("set_tcp_nodelay true\n")
            f.write(extra_config)  # more listeners, after the plain one the tests subscribe on
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "ab")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "-c", self.conf], stdout=self.log, stderr=self.log)
        wait_until(self._listening, 10, "mosquitto to listen")

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None


class Gateway:
    def __init__(self, pvm, work, args, name="gateway", workers=2):
        self.pvm = pvm
        self.args = args + (["--workers", str(workers)] if workers else [])
        self.http = free_port()
        self.err_path = work.file(name + ".log")
        self.out_path = work.file(name + ".out")
        self.proc = None

    def start(self, wait_ready=True):
        env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
        cmd = [self.pvm, "serve", "--http", f"127.0.0.1:{self.http}"] + self.args
        self.proc = subprocess.Popen(cmd, stdout=open(self.out_path, "ab"), stderr=open(self.err_path, "ab"), env=env)
        wait_until(lambda: self.get("/healthz")[0] == 200 or self.proc.poll() is not None, 15, "the gateway's /healthz")
        if self.proc.poll() is not None:
            raise AssertionError(f"the gateway exited with {self.proc.returncode}:\n{self.log()}")
        if wait_ready:
            wait_until(lambda: self.get("/readyz")[0] == 200, 15, "the gateway's /readyz")

    def get(self, path):
        return self.request("GET", path)

    def request(self, method, path, body=None, timeout=30):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return 0, ""

    def metrics(self):
        values = {}
        for line in self.get("/metrics")[1].splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()


# ---------------------------------------------------------------------------------------------
# What the gateway adds to every message: server.timestamp and peer, after ident and protocol.id

_ORIGIN = re.compile(r'^(\{(?:"ident":"[^"]*",)?(?:"protocol\.id":"[^"]*",)?)'
                     r'"server\.timestamp":(\d+\.\d{3}),"peer":"([^"]*)",')


def split_origin(line):
    """(the message as `pvm decode` gives it, server.timestamp, peer) of a gateway message."""
    m = _ORIGIN.match(line)
    assert m, f"no server.timestamp and peer after ident and protocol.id: {line[:160]}"
    return m.group(1) + line[m.end():], float(m.group(2)), m.group(3)


def strip_origin(line):
    return split_origin(line)[0]


# ---------------------------------------------------------------------------------------------
# MQTT 3.1.1, just enough to subscribe with QoS 1 and to publish with QoS 0


def _encode_length(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _mqtt_string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_packet(sock):
    header = _read_exact(sock, 1)[0]
    length, shift = 0, 0
    while True:
        byte = _read_exact(sock, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return header, _read_exact(sock, length)


def _connect(port, client_id, clean, keepalive=30):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    flags = 0x02 if clean else 0x00
    body = _mqtt_string("MQTT") + bytes([4, flags]) + struct.pack(">H", keepalive) + _mqtt_string(client_id)
    sock.sendall(bytes([0x10]) + _encode_length(len(body)) + body)
    header, payload = _read_packet(sock)
    if header != 0x20 or payload[1] != 0:
        raise ConnectionError(f"CONNACK refused: {payload.hex()}")
    return sock


def publish(port, topic, payload):
    sock = _connect(port, f"pub-{os.getpid()}-{time.monotonic_ns()}", True)
    body = _mqtt_string(topic) + payload.encode()
    sock.sendall(bytes([0x30]) + _encode_length(len(body)) + body + bytes([0xE0, 0]))
    sock.close()


class Subscriber(threading.Thread):
    """A persistent-session QoS 1 subscriber that reconnects by itself: it receives everything
    the broker acknowledged, across a broker restart."""

    def __init__(self, port, topic="pvm/#"):
        super().__init__(daemon=True)
        self.port = port
        self.topic = topic
        self.client_id = f"e2e-sub-{os.getpid()}-{port}"
        self.messages = []  # (topic, payload)
        self.lock = threading.Lock()
        self.stopping = False
        self.subscribed = threading.Event()

    def run(self):
        while not self.stopping:
            try:
                self._session()
            except (OSError, ConnectionError):
                time.sleep(0.1)

    def _session(self):
        sock = _connect(self.port, self.client_id, False)
        body = struct.pack(">H", 1) + _mqtt_string(self.topic) + bytes([1])
        sock.sendall(bytes([0x82]) + _encode_length(len(body)) + body)
        sock.settimeout(1.0)
        last_ping = time.monotonic()
        try:
            while not self.stopping:
                if time.monotonic() - last_ping > 10:
                    sock.sendall(bytes([0xC0, 0]))
                    last_ping = time.monotonic()
                try:
                    header, payload = _read_packet(sock)
                except socket.timeout:
                    continue
                kind = header >> 4
                if kind == 9:
                    self.subscribed.set()
                elif kind == 3:
                    qos = (header >> 1) & 3
                    tlen = struct.unpack(">H", payload[:2])[0]
                    topic = payload[2 : 2 + tlen].decode()
                    pos = 2 + tlen
                    if qos:
                        mid = payload[pos : pos + 2]
                        pos += 2
                    with self.lock:
                        self.messages.append((topic, payload[pos:].decode()))
                    if qos:
                        sock.sendall(bytes([0x40, 2]) + mid)
        finally:
            sock.close()

    def snapshot(self):
        """(topic, payload) received, server.timestamp and peer taken out of the gateway's messages
        (not out of the commands a test published)."""
        return [(t, p if "/commands/" in t else strip_origin(p)) for t, p in self.raw()]

    def raw(self):
        with self.lock:
            return list(self.messages)

    def stop(self):
        self.stopping = True
        self.join(5)


# ---------------------------------------------------------------------------------------------
# Teltonika devices


def subscribed(broker):
    """A subscriber to every topic of a started broker, connected and subscribed."""
    sub = Subscriber(broker.port)
    sub.start()
    sub.subscribed.wait(5)
    return sub


def crc16_arc(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def avl_data(device, packet, records):
    """Codec 8 AVL data (codec id .. number of data 2); every record unique to its device,
    packet and position."""
    out = bytearray([0x08, records])
    for r in range(records):
        ts = 1_700_000_000_000 + device * 10_000_000 + packet * 1_000 + r
        lon = 250_000_000 + device * 1000 + packet
        lat = 546_000_000 - r * 10
        out += struct.pack(">QBiihHBH", ts, r % 2, lon, lat, 100 + r, (packet * 7) % 360, 9, packet % 120)
        # event IO 239 (ignition), N1: 239, 1 (movement); N2: 66 (external voltage); N4, N8 empty
        out += struct.pack(">BB", 239, 3)
        out += struct.pack(">BBBBB", 2, 239, packet % 2, 240, 1)
        out += struct.pack(">BBH", 1, 66, 12000 + device)
        out += bytes([0, 0])
    out.append(records)
    return bytes(out)


def tcp_login(imei):
    return struct.pack(">H", len(imei)) + imei.encode()


def tcp_packet(device, packet, records):
    data = avl_data(device, packet, records)
    return struct.pack(">II", 0, len(data)) + data + struct.pack(">I", crc16_arc(data))


def udp_packet(imei, device, packet, records):
    body = struct.pack(">HBBH", packet & 0xFFFF, 1, packet & 0xFF, len(imei)) + imei.encode()
    body += avl_data(device, packet, records)
    return struct.pack(">H", len(body)) + body


def imei_of(device):
    return f"35630704{device:07d}"


class TcpDevice(threading.Thread):
    """Logs in, sends its packets one at a time and waits for each ACK; on a timeout or a lost
    connection it reconnects and sends the unacknowledged packet again, as trackers do."""

    def __init__(self, port, device, packets, ack_timeout=3.0, pause=0.0):
        super().__init__(daemon=True)
        self.port = port
        self.imei = imei_of(device)
        self.login = tcp_login(self.imei)
        self.packets = packets
        self.ack_timeout = ack_timeout
        self.pause = pause
        self.replies = []  # (index, bytes, time): index -1 is the login
        self.acked = 0
        self.sends = 0  # packets sent, resends included
        self.stopping = False
        self.addresses = set()  # "IP:PORT" of every connection it made

    def run(self):
        while self.acked < len(self.packets) and not self.stopping:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=self.ack_timeout) as s:
                    self.addresses.add("%s:%d" % s.getsockname())
                    s.settimeout(self.ack_timeout)
                    s.sendall(self.login)
                    self.replies.append((-1, _read_exact(s, 1), time.monotonic()))
                    while self.acked < len(self.packets) and not self.stopping:
                        s.sendall(self.packets[self.acked])
                        self.sends += 1
                        ack = _read_exact(s, 4)
                        self.replies.append((self.acked, ack, time.monotonic()))
                        self.acked += 1
                        if self.pause:
                            time.sleep(self.pause)
            except (OSError, ConnectionError):
                time.sleep(0.2)


class UdpDevice(threading.Thread):
    """Sends each datagram until the ACK with its packet id arrives."""

    def __init__(self, port, device, packets, ack_timeout=1.0, pause=0.0):
        super().__init__(daemon=True)
        self.port = port
        self.packets = packets
        self.ack_timeout = ack_timeout
        self.pause = pause
        self.replies = []
        self.acked = 0
        self.sends = 0
        self.stopping = False
        self.addresses = set()

    def run(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            self.addresses.add("%s:%d" % s.getsockname())
            s.settimeout(self.ack_timeout)
            while self.acked < len(self.packets) and not self.stopping:
                s.sendto(self.packets[self.acked], ("127.0.0.1", self.port))
                self.sends += 1
                try:
                    reply, _ = s.recvfrom(1024)
                except socket.timeout:
                    continue
                except OSError:
                    time.sleep(0.2)
                    continue
                # The ACK names its packet: one for an earlier copy of a resent packet is stale.
                index = struct.unpack(">H", reply[2:4])[0] if len(reply) >= 4 else -2
                self.replies.append((index, reply, time.monotonic()))
                if index == self.acked:
                    self.acked += 1
                    if self.pause:
                        time.sleep(self.pause)


def make_fleet(tcp_devices, udp_devices, packets, first=0):
    """Packets for each device: {"tcp": [(device, login, [packets])], "udp": [(device, [datagrams])]}"""
    fleet = {"tcp": [], "udp": []}
    for d in range(first, first + tcp_devices):
        fleet["tcp"].append((d, [tcp_packet(d, p, 1 + (d + p) % 4) for p in range(packets)]))
    for d in range(first + tcp_devices, first + tcp_devices + udp_devices):
        fleet["udp"].append((d, [udp_packet(imei_of(d), d, p, 1 + (d + p) % 3) for p in range(packets)]))
    return fleet


# ---------------------------------------------------------------------------------------------
# The oracle: what `pvm decode` says about the same bytes


def decode(pvm, work, streams, transport):
    """Decodes each stream (a list of chunks) as its own connection (TCP) or its own datagrams
    (UDP). Returns (messages per stream, replies per stream)."""
    env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
    messages, replies = [], []
    for i, chunks in enumerate(streams):
        path = work.file(f"oracle-{transport}-{i}.hex")
        with open(path, "w") as f:
            f.write("".join(c.hex() + "\n" for c in chunks))
        out = subprocess.run(
            [pvm, "decode", "-p", "teltonika", "--transport", transport, "--replies", path + ".replies", path],
            capture_output=True, text=True, env=env, check=True)
        messages.append(out.stdout.splitlines())
        with open(path + ".replies") as f:
            replies.append([bytes.fromhex(line) for line in f.read().split()])
    return messages, replies


def expected_for(pvm, work, fleet):
    """{"tcp"/"udp": [(messages, replies)]} in fleet order; TCP streams start with the login."""
    tcp_streams = [[tcp_login(imei_of(d))] + packets for d, packets in fleet["tcp"]]
    udp_streams = [packets for d, packets in fleet["udp"]]
    out = {}
    for transport, streams in (("tcp", tcp_streams), ("udp", udp_streams)):
        if streams:
            m, r = decode(pvm, work, streams, transport)
            out[transport] = list(zip(m, r))
        else:
            out[transport] = []
    return out


def check_acks(devices, expected, transport):
    """Every reply a device got equals what `pvm decode` replies to the same bytes."""
    for device, (messages, replies) in zip(devices, expected):
        offset = 1 if transport == "tcp" else 0  # the login's reply comes first
        for index, got, _ in device.replies:
            assert index >= -1, f"{transport} device: malformed reply {got.hex()}"
            want = replies[0] if index < 0 else replies[index + offset]
            assert got == want, f"{transport} device: reply to packet {index} is {got.hex()}, expected {want.hex()}"


def expected_messages(fleet, expected):
    """Counter of (topic, message) that the fleet's packets decode to, each once."""
    want = Counter()
    for (d, _), (messages, _) in zip(fleet["tcp"] + fleet["udp"], expected["tcp"] + expected["udp"]):
        for m in messages:
            want[(f"pvm/teltonika/{imei_of(d)}", m)] += 1
    return want


def check_delivery(got, want, devices):
    """Every expected message arrived; more than once only when a device sent its packet again
    (an ACK lost or late: at-least-once delivery)."""
    missing = want - got
    assert not missing, f"{sum(missing.values())} messages missing on the broker, e.g. {next(iter(missing))}"
    extra = set(got) - set(want)
    assert not extra, f"{len(extra)} unexpected messages on the broker, e.g. {next(iter(extra))}"
    resent = sum(d.sends - len(d.packets) for d in devices)
    duplicates = sum((got - want).values())
    assert duplicates == 0 or resent > 0, f"{duplicates} duplicates without any resend"
    return duplicates, resent


def run_main(description, body):
    args = parse_args(description)
    work = Workdir(args.keep)
    started = time.monotonic()
    try:
        body(args, work)
    except Skip as e:
        print(f"skipped: {e}")
        work.close()
        sys.exit(SKIP_STATUS)
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        work.keep = True
        work.close()
        sys.exit(1)
    print(f"ok ({time.monotonic() - started:.1f}s)")
    work.close()
