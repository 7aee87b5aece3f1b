"""The deployment files, checked without Docker or a cluster: the Dockerfile's protocol loop fails
when any protocol fails (run under bash with a stand-in compiler), EXPOSE lists exactly the ports
its default command serves, its HEALTHCHECK answers for a live gateway and fails for a dead one;
the Kubernetes manifests meet Pod Security "restricted", drain before their endpoint goes, take
their configuration from a configMapGenerator (rendered with `kubectl kustomize` when kubectl is
installed), and agree with each other; deploy/gateway.toml names every key the parser knows and
passes `pvm serve --check-config`, as does the cluster's gateway.toml. The image builds the JIT
and puts its library where pvm looks for it (checked with a library from another build, which
pvm must find there and refuse)."""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def dockerfile_instructions():
    """(INSTRUCTION, text) with continuation lines joined and comments dropped."""
    out, current = [], ""
    with open(os.path.join(DEPLOY, "Dockerfile")) as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                continue
            current += line.rstrip("\n")
            if current.endswith("\\"):
                current = current[:-1] + " "
                continue
            word, _, rest = current.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def serve_check(pvm, *args):
    env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
    result = subprocess.run([pvm, "serve", *args], capture_output=True, text=True, env=env)
    check(result.returncode == 0, f"pvm serve {' '.join(args)}: {result.stderr}")
    return result.stdout


def check_image_jit(pvm, instructions, runs, fake_jit, jit_target, build_dir):
    """The build makes the JIT or fails, and the image puts it where the loader looks: a library
    from another build at the JIT's COPY destination, beside pvm at its own, is the one pvm
    finds and refuses by that path."""
    check(any("-DPVM_JIT=ON" in r and "pvm_jit" in r for r in runs), "the build stage builds the JIT (-DPVM_JIT=ON, pvm_jit)")
    copies = [text.split() for word, text in instructions if word == "COPY" and text.startswith("--from=build")]
    pvm_copy = next((c for c in copies if c[1] == "/build/cli/pvm"), None)
    jit_copy = next((c for c in copies if c[1].endswith("/libpvm_jit.so")), None)
    check(pvm_copy and jit_copy, "the image copies pvm and the JIT library from the build stage")
    if jit_target:
        check(os.path.relpath(jit_target, build_dir) == os.path.relpath(jit_copy[1], "/build"),
              f"the image copies {jit_copy[1]}, but the build makes the JIT library at {jit_target}")
    if not fake_jit:
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = os.path.realpath(tmp)
        placed_pvm = tmp + pvm_copy[2]
        placed_jit = tmp + jit_copy[2]
        for path in (placed_pvm, placed_jit):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy(pvm, placed_pvm)
        shutil.copy(fake_jit, placed_jit)
        env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
        env.pop("PVM_JIT_LIBRARY", None)
        result = subprocess.run([placed_pvm, "decode", "--jit", "--no-jit-cache", "--no-module-cache", "-p", "teltonika",
                                 os.devnull], capture_output=True, text=True, env=env)
        check(f"{placed_jit} was built from other sources than this pvm" in result.stderr,
              f"pvm at {pvm_copy[2]} does not look for its JIT at {jit_copy[2]}: {result.stderr.strip()}")


def check_dockerfile(pvm, fake_jit, jit_target, build_dir):
    instructions = dockerfile_instructions()
    runs = [text for word, text in instructions if word == "RUN"]
    check(any("pkg-config" in r and "libssl-dev" in r for r in runs), "the build stage installs pkg-config and libssl-dev")
    check_image_jit(pvm, instructions, runs, fake_jit, jit_target, build_dir)

    # The protocol loop, run by bash with a compiler that rejects only the first protocol.
    loop = next((r for r in runs if "stdlib-protocols/*.pvm" in r), None)
    check(loop, "a RUN compiles every stdlib protocol")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "stdlib-protocols"))
        for name in ("a", "b"):
            open(os.path.join(tmp, "stdlib-protocols", name + ".pvm"), "w").close()
        stub = os.path.join(tmp, "pvm")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\ncase "$2" in *a.pvm) exit 1;; esac\nexit 0\n')
        os.chmod(stub, 0o755)
        script = loop.replace("/build/cli/pvm", stub)
        status = subprocess.run(["/bin/sh", "-c", script], cwd=tmp, capture_output=True).returncode
        check(status != 0, "the Dockerfile's protocol loop succeeds although a protocol failed to compile")
        os.remove(os.path.join(tmp, "stdlib-protocols", "a.pvm"))
        status = subprocess.run(["/bin/sh", "-c", script], cwd=tmp, capture_output=True).returncode
        check(status == 0, "the Dockerfile's protocol loop fails although every protocol compiled")

    # EXPOSE: what the default command listens on, and its HTTP port.
    cmd = json.loads(next(text for word, text in instructions if word == "CMD"))
    summary = serve_check(pvm, *cmd, "--check")
    served = set()
    for line in summary.splitlines():
        m = re.match(r"listen\s+\S+@(tcp|udp|tls)://[^ ]*:(\d+)", line)
        if m:
            served.add(f"{m.group(2)}/{'udp' if m.group(1) == 'udp' else 'tcp'}")
        m = re.match(r"http\s+\S*:(\d+)$", line)
        if m:
            served.add(f"{m.group(1)}/tcp")
    exposed = set(" ".join(text for word, text in instructions if word == "EXPOSE").split())
    check(served and exposed == served, f"EXPOSE {sorted(exposed)} but the default command serves {sorted(served)}")

    # HEALTHCHECK against a live gateway, then a stopped one.
    health = next((text for word, text in instructions if word == "HEALTHCHECK"), None)
    check(health, "the image has a HEALTHCHECK")
    probe = json.loads(health[health.index("CMD") + 3:].strip())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    probe = [arg.replace("127.0.0.1/9100", f"127.0.0.1/{port}") for arg in probe]
    env = dict(os.environ, PVM_STDLIB=os.path.join(ROOT, "stdlib-protocols"))
    gateway = subprocess.Popen([pvm, "serve", "--listen", "teltonika@tcp://127.0.0.1:0", "--http",
                                f"127.0.0.1:{port}", "--workers", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(probe, capture_output=True).returncode != 0:
            check(time.monotonic() < deadline and gateway.poll() is None, "the HEALTHCHECK fails for a live gateway")
            time.sleep(0.1)
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(20)
    check(subprocess.run(probe, capture_output=True).returncode != 0, "the HEALTHCHECK passes without a gateway")


def load_yaml(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def check_pod_security(pod):
    """Pod Security Standard "restricted" (and "baseline", which it includes)."""
    spec_ctx = pod.get("securityContext", {})
    check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"), "host namespaces")
    allowed_volumes = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                       "projected", "secret", "name"}
    for v in pod.get("volumes", []):
        check(set(v) <= allowed_volumes, f"volume {v['name']} has a type restricted pods may not use")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        ctx = c.get("securityContext", {})
        name = c["name"]
        check(ctx.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation must be false")
        check(not ctx.get("privileged"), f"{name}: privileged")
        caps = ctx.get("capabilities", {})
        check(caps.get("drop") == ["ALL"], f"{name}: capabilities must drop ALL")
        check(set(caps.get("add", [])) <= {"NET_BIND_SERVICE"}, f"{name}: adds capabilities")
        non_root = ctx.get("runAsNonRoot", spec_ctx.get("runAsNonRoot"))
        check(non_root is True, f"{name}: runAsNonRoot must be true")
        check(ctx.get("runAsUser", spec_ctx.get("runAsUser", 1)) != 0, f"{name}: runs as root")
        seccomp = ctx.get("seccompProfile", spec_ctx.get("seccompProfile", {})).get("type")
        check(seccomp in ("RuntimeDefault", "Localhost"), f"{name}: seccompProfile must be RuntimeDefault")
        for p in c.get("ports", []):
            check("hostPort" not in p, f"{name}: hostPort")


def check_kubernetes(pvm):
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            for d in load_yaml(os.path.join(K8S, name)):
                docs.setdefault(d["kind"], []).append(d)
    kustomization = load_yaml(os.path.join(K8S, "kustomization.yaml"))[0]
    listed = set(kustomization["resources"])
    check(listed == {n for n in os.listdir(K8S) if n.endswith(".yaml") and n != "kustomization.yaml"},
          f"kustomization resources {sorted(listed)} and the files differ")
    check("ConfigMap" not in docs, "the ConfigMap comes from configMapGenerator, not a file")
    generators = {g["name"]: g for g in kustomization.get("configMapGenerator", [])}
    check("gateway.toml" in generators.get("pvm-gateway", {}).get("files", []),
          "configMapGenerator pvm-gateway holds gateway.toml")

    toml = os.path.join(K8S, "gateway.toml")
    summary = serve_check(pvm, "--check-config", toml)
    drain = int(re.search(r"drain_timeout (\d+) s", summary).group(1))

    deployment = docs["Deployment"][0]
    pod = deployment["spec"]["template"]["spec"]
    check_pod_security(pod)
    container = pod["containers"][0]
    check(["--config", "/etc/pvm/gateway.toml"] == container["args"], "the container reads /etc/pvm/gateway.toml")
    check({"name": "config", "configMap": {"name": "pvm-gateway"}} in pod["volumes"], "the config volume")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    check(len(pre_stop) == 2 and pre_stop[0] == "sleep", "a preStop hook waits before SIGTERM")
    check(pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + drain,
          f"terminationGracePeriodSeconds must exceed preStop {pre_stop[1]} s + drain_timeout {drain} s")

    # Every listener has its container port, every Service port a container port of its protocol.
    ports = {(p["containerPort"], p["protocol"]): p["name"] for p in container["ports"]}
    names = {p["name"]: p for p in container["ports"]}
    for line in summary.splitlines():
        m = re.match(r"listen\s+\S+@(tcp|udp|tls)://[^ ]*:(\d+)", line)
        if m:
            key = (int(m.group(2)), "UDP" if m.group(1) == "udp" else "TCP")
            check(key in ports, f"no container port for {line.split()[1]}")
    http = int(re.search(r"http\s+\S*:(\d+)", summary).group(1))
    check(names.get("http", {}).get("containerPort") == http, "the http container port is gateway.toml's")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for svc in docs["Service"]:
        check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), f"{svc['metadata']['name']} selector")
        for p in svc["spec"]["ports"]:
            target = names.get(p["targetPort"])
            check(target and target["protocol"] == p["protocol"], f"{svc['metadata']['name']}: port {p['name']}")
    for probe in ("readinessProbe", "livenessProbe"):
        check(container[probe]["httpGet"]["port"] == "http", f"{probe} on the http port")

    # The optional files: a ServiceMonitor on the metrics Service, an HPA on the Deployment.
    optional = {}
    for name in os.listdir(os.path.join(K8S, "optional")):
        for d in load_yaml(os.path.join(K8S, "optional", name)):
            optional[d["kind"]] = d
    monitor = optional["ServiceMonitor"]
    metrics_services = [s for s in docs["Service"]
                        if any(p["name"] == monitor["spec"]["endpoints"][0]["port"] for p in s["spec"]["ports"])]
    check(metrics_services, "the ServiceMonitor's port is a Service port")
    check(all(metrics_services[0]["metadata"].get("labels", {}).get(k, kustomization["labels"][0]["pairs"].get(k)) == v
              for k, v in monitor["spec"]["selector"]["matchLabels"].items()), "the ServiceMonitor selects the Service")
    hpa = optional["HorizontalPodAutoscaler"]
    check(hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"], "the HPA scales the Deployment")
    check("cpu" in container["resources"]["requests"], "CPU utilisation needs a CPU request")

    kubectl = shutil.which("kubectl")
    if kubectl:
        rendered = subprocess.run([kubectl, "kustomize", K8S], capture_output=True, text=True)
        check(rendered.returncode == 0, f"kubectl kustomize: {rendered.stderr}")
        out = {d["kind"]: d for d in yaml.safe_load_all(rendered.stdout) if d}
        cm = out["ConfigMap"]["metadata"]["name"]
        check(re.fullmatch(r"pvm-gateway-[a-z0-9]{10}", cm), f"the generated ConfigMap {cm} carries a hash")
        volumes = out["Deployment"]["spec"]["template"]["spec"]["volumes"]
        check({"name": "config", "configMap": {"name": cm}} in volumes, "the Deployment names the hashed ConfigMap")
        with open(toml) as f:
            check(out["ConfigMap"]["data"]["gateway.toml"] == f.read(), "the ConfigMap holds gateway.toml")
    else:
        print("kubectl is not installed: the kustomization was checked but not rendered")


def check_reference_config(pvm):
    path = os.path.join(DEPLOY, "gateway.toml")
    serve_check(pvm, "--check-config", path)
    with open(os.path.join(ROOT, "gateway", "src", "config_toml.cpp")) as f:
        source = f.read()
    known = set()
    for keys in re.findall(r"known_keys\(\s*\*?\w+,\s*\{([^}]*)\}", source):
        known.update(re.findall(r'"([a-z_]+)"', keys))
    with open(path) as f:
        text = f.read()
    written = set(re.findall(r"^([a-z_]+) = ", text, re.M)) | set(re.findall(r"^\[([a-z_]+)\]", text, re.M))
    check(known and known <= written, f"deploy/gateway.toml lacks {sorted(known - written)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pvm", required=True)
    parser.add_argument("--fake-jit", help="a JIT library from another build (a build with the JIT)")
    parser.add_argument("--jit-library", help="where the build makes the JIT library")
    parser.add_argument("--build-dir", help="the build folder, which the image's /build stands for")
    args = parser.parse_args()
    check_dockerfile(args.pvm, args.fake_jit, args.jit_library, args.build_dir)
    check_kubernetes(args.pvm)
    check_reference_config(args.pvm)
    print("ok")


if __name__ == "__main__":
    main()
