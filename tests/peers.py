"""Real peers for the tests: a gridvisit server, pouchdb-server and node.

Each server runs in its own process on a free loopback port with its data in
a temporary directory, exactly as a user would start it.
"""

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = ROOT / "node_modules" / ".bin"
INTEROP = ROOT / "tests" / "interop"


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Peer:
    """A running CouchDB-protocol server: ``url(db)`` is where a db lives."""

    name: str
    base: str
    username: str = None
    password: str = None
    proc: subprocess.Popen = None
    log: Path = None
    extra: dict = field(default_factory=dict)
    context: ssl.SSLContext = None      # what trusts the certificate of an HTTPS peer

    def url(self, db="", auth=True):
        """The URL of ``db`` (or the server root), credentials embedded."""
        base = self.base
        if auth and self.username:
            parts = urllib.parse.urlsplit(base)
            cred = (urllib.parse.quote(self.username, safe="") + ":"
                    + urllib.parse.quote(self.password, safe=""))
            base = parts._replace(netloc=f"{cred}@{parts.netloc}").geturl()
        return f"{base}/{db}" if db else base + "/"

    def request(self, method, path, body=None, headers=None, auth=True):
        """One HTTP request to the peer; returns ``(status, json_or_bytes)``."""
        data = None if body is None else (
            body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(f"{self.base}/{path.lstrip('/')}",
                                     data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        if auth and self.username:
            import base64
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.context) as resp:
                status, raw, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, ctype = err.code, err.read(), err.headers.get("Content-Type", "")
        if "json" in ctype or raw[:1] in (b"{", b"["):
            try:
                return status, json.loads(raw)
            except ValueError:
                pass
        return status, raw

    def stop(self):
        """Stop the server process and wait for it."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_http(url, proc, log, timeout=30):
    """Wait until ``url`` answers; fail with ``log`` if ``proc`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return                      # it answers, even if with 401
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start:\n{log.read_text()}")


def gridvisit_cli(data_dir, *args, stdin=None, env=None, check=True):
    """Run the ``gridvisit`` command line as a user would."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "server", *args, "--data-dir", str(data_dir)],
                          input=stdin, capture_output=True, text=True, cwd=ROOT,
                          env=full_env, check=check, timeout=120)


def start_gridvisit(data_dir, username="admin", password="admin-secret", env=None):
    """Create an admin account and start ``gridvisit serve`` on a free port."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    gridvisit_cli(data_dir, "create-user", username, "--role", "admin",
                  stdin=password + "\n", env=env)
    return serve_gridvisit(data_dir, free_port(), username, password, env)


def serve_gridvisit(data_dir, port, username="admin", password="admin-secret", env=None):
    """Start ``gridvisit serve`` on ``data_dir`` and ``port`` (again, after a stop)."""
    data_dir = Path(data_dir)
    log = data_dir / "server.log"
    full_env = dict(os.environ, **(env or {}))
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/couch"
    wait_http(base + "/", proc, log)
    return Peer("gridvisit", base, username, password, proc, log,
                extra={"data_dir": data_dir, "port": port})


def start_pouchdb_server(data_dir, in_memory=False):
    """Start pouchdb-server (npm) on a free port, on disk unless ``in_memory``."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / "pouchdb-server.log"
    args = [str(NODE_BIN / "pouchdb-server"), "--host", "127.0.0.1", "--port", str(port),
            "--dir", str(data_dir)]
    if in_memory:
        args.append("--in-memory")
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/", proc, log)
    return Peer("pouchdb-server", base, None, None, proc, log, extra={"port": port})


def run_node(script, payload, timeout=300):
    """Run ``tests/interop/<script>`` with ``payload`` as JSON on stdin.

    The script prints one JSON object as its last line of output; that
    object is returned. A non-zero exit raises with the script's stderr.
    """
    proc = subprocess.run(["node", str(INTEROP / script)], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{script} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])
