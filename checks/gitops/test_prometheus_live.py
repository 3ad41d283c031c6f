"""A real Prometheus against a real server: Debian's prometheus runs on loopback with
monitoring/prometheus.yml (rewritten to point at the server and to scrape every second), a
WebSocket session is opened and held, and Prometheus's HTTP API must show up == 1 and
web_terminal_sessions_active >= 1, with the alert rules loaded.

Also runs `web-terminal check-config` on each overlay's rendered configuration, so the bundle never
sets a key the server refuses.

The server binary comes from WEB_TERMINAL_BIN (default target/debug/web-terminal). The tests skip
only when that binary does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
import yaml

import gitops_checks
import policy

ROOT = gitops_checks.repo_root()
BINARY = Path(os.environ.get("WEB_TERMINAL_BIN", ROOT / "target" / "debug" / "web-terminal"))

pytestmark = pytest.mark.skipif(
    not BINARY.is_file(), reason=f"no server binary at {BINARY} (build it, or set WEB_TERMINAL_BIN)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            last = predicate()
            if last:
                return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


@contextlib.contextmanager
def process(args: list[str], log: Path, **kwargs) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SHELL": "/bin/sh",
        "WEB_TERMINAL_HOST": "127.0.0.1",
        "WEB_TERMINAL_PORT": str(port),
        "WEB_TERMINAL_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "WEB_TERMINAL_LOG_FORMAT": "json",
    }
    with process([str(BINARY), "start"], tmp_path / "server.log", env=env) as proc:
        address = f"127.0.0.1:{port}"
        try:
            wait_for(lambda: http_get(f"http://{address}/ready"), 30, "the server's /ready")
        except AssertionError:
            proc.terminate()
            raise AssertionError((tmp_path / "server.log").read_text())
        yield address


def prometheus_config(tmp_path: Path, target: str, source: str) -> Path:
    """The example config `source` pointed at the test server, scraping every second, with the
    rule file extracted from the PrometheusRule next to it."""
    config = yaml.safe_load(source)
    config["global"]["scrape_interval"] = "1s"
    config["global"]["evaluation_interval"] = "1s"
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "web-terminal"]
    job["static_configs"] = [{"targets": [target]}]
    gitops_checks.rule_file_from(ROOT, tmp_path)
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def query(prometheus: str, expr: str) -> list[dict]:
    body = http_get(f"http://{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def scrape_a_live_session(server: str, tmp_path: Path, source: str, timeout: float) -> None:
    prometheus_bin = shutil.which("prometheus")
    assert prometheus_bin, "Debian's prometheus package is not installed (checks/gitops.sh installs it)"
    listen = f"127.0.0.1:{free_port()}"
    args = [
        prometheus_bin,
        f"--config.file={prometheus_config(tmp_path, server, source)}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address={listen}",
    ]

    async def scenario() -> None:
        async with websockets.connect(f"ws://{server}/api/v1/ws", open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "open", "cols": 80, "rows": 24}))
            opened = json.loads(await asyncio.wait_for(ws.recv(), 10))
            while not isinstance(opened, dict) or opened.get("type") != "opened":
                opened = json.loads(await asyncio.wait_for(ws.recv(), 10))
            # Hold the session open while Prometheus scrapes.
            loop = asyncio.get_running_loop()
            up = await loop.run_in_executor(None, lambda: wait_for(
                lambda: [r for r in query(listen, 'up{job="web-terminal"}') if r["value"][1] == "1"],
                timeout, "up == 1"))
            assert up[0]["metric"]["instance"] == server
            sessions = await loop.run_in_executor(None, lambda: wait_for(
                lambda: query(listen, 'web_terminal_sessions_active{job="web-terminal"} >= 1'),
                timeout, "web_terminal_sessions_active >= 1"))
            assert float(sessions[0]["value"][1]) >= 1

    with process(args, tmp_path / "prometheus.log", cwd=tmp_path):
        wait_for(lambda: http_get(f"http://{listen}/-/ready"), 60, "Prometheus /-/ready")
        asyncio.run(scenario())
        rules = json.loads(http_get(f"http://{listen}/api/v1/rules"))["data"]["groups"]
        names = {rule["name"] for group in rules for rule in group["rules"]}
        assert {"WebTerminalDown", "WebTerminalSessionsNearLimit"} <= names


def test_prometheus_scrapes_a_live_session(server: str, tmp_path: Path) -> None:
    scrape_a_live_session(server, tmp_path, (ROOT / "monitoring" / "prometheus.yml").read_text(), 60)


def test_the_live_check_fails_when_the_example_scrapes_the_wrong_path(server: str, tmp_path: Path) -> None:
    broken = (ROOT / "monitoring" / "prometheus.yml").read_text().replace("/api/v1/metrics", "/metrics")
    with pytest.raises(AssertionError, match="up == 1"):
        scrape_a_live_session(server, tmp_path, broken, 8)


# What the kubelet puts in the downward API's fields, for the configuration test below.
DOWNWARD_API = {"status.podIP": "10.244.1.5", "metadata.name": "web-terminal-7d9f8c5b6-x2x7q"}


@pytest.mark.parametrize("env", ["dev", "staging", "production"])
def test_the_server_accepts_each_overlays_configuration(env: str, tmp_path: Path) -> None:
    """config.toml from the overlay's ConfigMap and its WEB_TERMINAL_* variables, as the pod would
    see them, pass `web-terminal check-config` (unknown keys are refused there)."""
    rendered = gitops_checks.render(ROOT, tmp_path / "rendered")
    docs = gitops_checks.load_all(rendered[env].read_text())
    (deployment,) = policy.find(docs, "Deployment")
    maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in policy.find(docs, "ConfigMap")}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env_vars = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for source in container.get("envFrom", []):
        env_vars.update(maps.get(source.get("configMapRef", {}).get("name"), {}))
    env_vars.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    # The downward API's values, as the kubelet would fill them in.
    env_vars.update({
        e["name"]: DOWNWARD_API[e["valueFrom"]["fieldRef"]["fieldPath"]]
        for e in container.get("env", []) if "fieldRef" in e.get("valueFrom", {})
    })
    config_map = next(v["configMap"]["name"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "configMap" in v)
    config = tmp_path / "config.toml"
    config.write_text(maps[config_map]["config.toml"])
    env_vars["WEB_TERMINAL_CONFIG"] = str(config)
    # The pod's paths do not exist here; everything else is checked as rendered.
    env_vars["WEB_TERMINAL_WORKSPACES_DIR"] = str(tmp_path / "workspaces")
    env_vars["HOME"] = str(tmp_path)
    command = container.get("command")
    if command is None:
        argv = [str(BINARY), "check-config"]
    else:
        # The container's own command (the peers component derives the node name from the pod's
        # IP in the shell), with `web-terminal start` turned into `check-config`. The image's
        # /bin/sh is bash (nix/image.nix); here /bin/sh may be another shell.
        assert command[:2] == ["/bin/sh", "-c"] and command[2].endswith("exec web-terminal start"), command
        argv = ["bash", "-c", command[2].removesuffix("web-terminal start") + f"{BINARY} check-config"]
    result = subprocess.run(argv, env=env_vars, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    if command is not None:
        # The node name is the pod's dashed IP, the name cluster DNS serves under the headless
        # Service, and POD_IP does not reach the shells.
        assert '"10-244-1-5"' in result.stdout, result.stdout
