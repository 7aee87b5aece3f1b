"""TLS on both sides, with certificates made here by openssl: devices reach a PROTOCOL@tls://
listener (Python's ssl verifying the gateway's certificate), the gateway publishes to a mosquitto
TLS listener that requires a client certificate (mqtts://, CA file, the gateway's certificate and
key, the broker's name checked). A device gets its ACKs over TLS and its messages arrive; a
connection that never starts its handshake is closed after handshake_timeout, one that speaks
plain text at once; SIGHUP takes a renewed certificate for new connections; a key that does not
match its certificate stops the start; a broker whose certificate does not name the host the
sink gives is refused."""

import os
import signal
import shutil
import socket
import ssl
import struct
import subprocess
import time

from gateway_e2e import (Broker, Gateway, Skip, _read_exact, free_port, imei_of, run_main, subscribed,
                         tcp_login, tcp_packet, wait_until)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificates(folder):
    """A CA; a server certificate for the name "localhost" only (no IP address in it), used by
    the broker and the gateway's listener; a client certificate for the gateway."""
    if not shutil.which("openssl"):
        raise Skip("openssl is not installed")
    os.makedirs(folder)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=pvm test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", cwd=folder)
    for name, ext in (("server", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"),
                      ("renewed", "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(folder, name + ".ext"), "w") as f:
            f.write(ext)
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", f"/CN=pvm {name}", cwd=folder)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext", cwd=folder)
    # Another CA, which signed none of them.
    openssl("req", "-x509", *ec, "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "2",
            "-subj", "/CN=another CA", cwd=folder)


def tls_device(port, ca):
    context = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="localhost")


def closed_within(sock, seconds):
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def tls_errors(gateway):
    return gateway.metrics().get('pvm_errors_total{protocol="teltonika",transport="tls",reason="tls_failed"}', 0)


def body(args, work):
    certs = work.file("certs")
    make_certificates(certs)
    tls_port = free_port()
    broker = Broker(work, f"listener {tls_port} 127.0.0.1\ncafile {certs}/ca.crt\ncertfile {certs}/server.crt\n"
                          f"keyfile {certs}/server.key\nrequire_certificate true\n")
    broker.start()
    sub = subscribed(broker)  # on the plain listener
    port = free_port()
    config = os.path.join(certs, "gateway.toml")  # certificate paths relative to the file
    with open(config, "w") as f:
        f.write(f'listen = ["teltonika@tls://127.0.0.1:{port}"]\nsinks = ["mqtts://localhost:{tls_port}"]\n'
                '[mqtt]\nca_file = "ca.crt"\ncert_file = "client.crt"\nkey_file = "client.key"\n'
                '[tls]\ncert_file = "server.crt"\nkey_file = "server.key"\nhandshake_timeout = 1\n')
    gateway = Gateway(args.pvm, work, ["--config", config])
    wrong = None
    try:
        gateway.start()  # ready: the MQTT client is connected over TLS with its certificate
        assert "mqtts://localhost" in gateway.log()

        device = tls_device(port, os.path.join(certs, "ca.crt"))
        device.sendall(tcp_login(imei_of(7)))
        assert _read_exact(device, 1) == b"\x01", "the login's reply over TLS"
        device.sendall(tcp_packet(7, 0, 3))
        assert _read_exact(device, 4) == struct.pack(">I", 3), "the ACK over TLS"
        # Many packets in one write, far more than one TLS record: every ACK, in order.
        device.sendall(b"".join(tcp_packet(7, p, 2) for p in range(1, 41)))
        for p in range(1, 41):
            assert _read_exact(device, 4) == struct.pack(">I", 2), f"ACK of packet {p}"
        wait_until(lambda: len(sub.snapshot()) >= 3 + 80, 10, "the messages on the broker")
        topics = {t for t, _ in sub.snapshot()}
        assert topics == {f"pvm/teltonika/{imei_of(7)}"}, topics
        peer = "%s:%d" % device.getsockname()
        assert all(f'"peer":"{peer}"' in p for _, p in sub.raw()), "the peer is the device's address"
        device.close()

        # No handshake at all: closed after handshake_timeout (1 s), counted.
        silent = socket.create_connection(("127.0.0.1", port), timeout=5)
        started = time.monotonic()
        assert closed_within(silent, 4), "a connection without a handshake stays open"
        assert time.monotonic() - started >= 0.5, "closed before handshake_timeout"
        # Plain text to a TLS port: closed at once.
        plain = socket.create_connection(("127.0.0.1", port), timeout=5)
        plain.sendall(tcp_login(imei_of(8)))
        assert closed_within(plain, 2), "plain text to a TLS listener"
        wait_until(lambda: tls_errors(gateway) == 2, 5, "two TLS failures in /metrics")

        # A renewed certificate, as cert-manager would write it: SIGHUP, and new devices see it.
        for ext in ("crt", "key"):
            shutil.copy(os.path.join(certs, f"renewed.{ext}"), os.path.join(certs, f"server.{ext}"))
        gateway.signal(signal.SIGHUP)
        wait_until(lambda: "tls certificate reloaded" in gateway.log(), 5, "the certificate reload")
        def served_by(name):
            # The workers take the reload from their mailboxes: a connection accepted just before
            # still gets the old certificate.
            with tls_device(port, os.path.join(certs, "ca.crt")) as s:
                return dict(item[0] for item in s.getpeercert()["subject"])["commonName"] == name
        wait_until(lambda: served_by("pvm renewed"), 5, "a connection with the renewed certificate")
        renewed = tls_device(port, os.path.join(certs, "ca.crt"))
        renewed.sendall(tcp_login(imei_of(9)))
        assert _read_exact(renewed, 1) == b"\x01"
        renewed.close()

        # A key that is not the certificate's: the gateway does not start.
        bad = subprocess.run([args.pvm, "serve", "--listen", f"teltonika@tls://127.0.0.1:{free_port()}",
                              "--tls-cert", os.path.join(certs, "server.crt"),
                              "--tls-key", os.path.join(certs, "client.key")], capture_output=True, text=True,
                             timeout=20)
        assert bad.returncode == 2 and "client.key: " in bad.stderr and "mismatch" in bad.stderr, bad.stderr
        # --check says the same before a rollout, and names a CA file that is not there.
        checked = subprocess.run([args.pvm, "serve", "--check", "--listen", f"teltonika@tls://127.0.0.1:{port}",
                                  "--tls-cert", os.path.join(certs, "server.crt"),
                                  "--tls-key", os.path.join(certs, "client.key")], capture_output=True, text=True)
        assert checked.returncode == 2 and "mismatch" in checked.stderr, checked.stderr
        missing = subprocess.run([args.pvm, "serve", "--listen", f"teltonika@tcp://127.0.0.1:{free_port()}",
                                  "--sink", "mqtts://localhost", "--mqtt-ca-file", os.path.join(certs, "none.crt")],
                                 capture_output=True, text=True, timeout=20)
        assert missing.returncode == 2 and "none.crt: No such file or directory" in missing.stderr, missing.stderr

        # The broker's certificate names "localhost", not "127.0.0.1": that sink must not connect.
        wrong = Gateway(args.pvm, work, ["--listen", f"teltonika@tcp://127.0.0.1:{free_port()}",
                                         "--sink", f"mqtts://127.0.0.1:{tls_port}",
                                         "--mqtt-ca-file", os.path.join(certs, "ca.crt"),
                                         "--mqtt-cert", os.path.join(certs, "client.crt"),
                                         "--mqtt-key", os.path.join(certs, "client.key")], name="wrong-name")
        wrong.start(wait_ready=False)
        time.sleep(2)
        assert wrong.get("/readyz")[0] == 503, "connected to a broker whose certificate names another host"
        assert "certificate verify failed" in wrong.log(), wrong.log()
    finally:
        gateway.stop()
        if wrong:
            wrong.stop()
        sub.stop()
        broker.stop()
    assert gateway.proc.returncode == 0


if __name__ == "__main__":
    run_main(__doc__, body)
