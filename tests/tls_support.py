"""A gridvisit server on HTTPS with its own community CA, as `gridvisit tls init`
and `gridvisit serve` make it, for tests that talk to it the way a tablet does."""

import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.peers import ROOT, Peer, free_port, gridvisit_cli

NAME = "shijia.test"


def ca_context(data_dir):
    """An SSL context that trusts only the community CA in ``data_dir``."""
    return ssl.create_default_context(cafile=str(Path(data_dir) / "tls" / "ca.crt"))


def _wait(url, proc, log, context=None, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()}")


def start_https(data_dir, username="admin", password="admin-secret", names=(NAME,),
                ips=("127.0.0.1",)):
    """`tls init` then `serve` with HTTPS and the plain-HTTP listener on free ports.

    The peer's ``extra`` has ``port`` (HTTPS), ``http_port`` and ``data_dir``.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    args = ["tls", "init", "--community", "石家社区"]
    for name in names:
        args += ["--name", name]
    for ip in ips:
        args += ["--ip", ip]
    gridvisit_cli(data_dir, *args)
    gridvisit_cli(data_dir, "create-user", username, "--role", "admin", stdin=password + "\n")
    port, http_port = free_port(), free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--http-port", str(http_port), "--data-dir", str(data_dir)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    _wait(f"https://127.0.0.1:{port}/couch/", proc, log, ca_context(data_dir))
    _wait(f"http://127.0.0.1:{http_port}/ca", proc, log)
    return Peer("gridvisit-https", f"https://127.0.0.1:{port}/couch", username, password, proc,
                log, extra={"data_dir": data_dir, "port": port, "http_port": http_port})
