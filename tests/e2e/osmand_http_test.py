"""OsmAnd over a real HTTP client: `pvm serve` with the osmand protocol answers Python's
http.client on loopback with 200 for a position (GET with a query, then a POST with a JSON body
on the same keep-alive connection) and 400 for a request without a device id, and writes the
messages to its jsonl sink."""

import http.client
import json
import os

from gateway_e2e import Gateway, free_port, run_main, wait_until


def body(args, work):
    port = free_port()
    sink = work.file("messages.jsonl")
    gateway = Gateway(args.pvm, work, ["--listen", f"osmand@tcp://127.0.0.1:{port}", "--sink", f"jsonl:{sink}"])
    try:
        gateway.start()
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        client.request("GET", "/?id=123456&lat=60.0&lon=30.0&timestamp=1377177267&speed=10")
        response = client.getresponse()
        response.read()
        assert response.status == 200, f"GET answered {response.status}"

        location = {"location": {"timestamp": "2021-07-21T08:06:34.444Z",
                                 "coords": {"latitude": -6.1148096, "longitude": 106.6837015, "speed": 1.5}},
                    "device_id": "8737767034"}
        client.request("POST", "/", body=json.dumps(location), headers={"Content-Type": "application/json"})
        response = client.getresponse()
        response.read()
        assert response.status == 200, f"POST answered {response.status}"

        client.request("GET", "/?lat=60.0&lon=30.0")
        response = client.getresponse()
        response.read()
        assert response.status == 400, f"a request without an id answered {response.status}"
        client.close()

        def messages():
            if not os.path.exists(sink):
                return []
            with open(sink) as f:
                return [json.loads(line) for line in f if line.strip()]

        wait_until(lambda: len(messages()) >= 2, 15, "two messages in the jsonl sink")
        first, second = messages()[:2]
        assert first["ident"] == "123456" and first["position.latitude"] == 60.0, first
        assert abs(first["position.speed"] - 18.52) < 1e-9 and first["timestamp"] == 1377177267, first
        assert second["ident"] == "8737767034" and second["position.longitude"] == 106.6837015, second
        assert abs(second["timestamp"] - 1626854794.444) < 1e-6, second
        assert len(messages()) == 2, messages()
    finally:
        gateway.stop()


if __name__ == "__main__":
    run_main(__doc__, body)
