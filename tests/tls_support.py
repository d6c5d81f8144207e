"""A gridvisit server on HTTPS with its own community CA, as `gridvisit tls init`
and `gridvisit serve` make it, for tests that talk to it the way a tablet does:
by the LAN name NAME, which the tests map to loopback."""

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.peers import ROOT, Peer, free_port, gridvisit_cli

NAME = "shijia.test"
LOOPBACK = "127.0.0.1"          # where NAME is found: the tests' stand-in for the LAN's DNS


def ca_context(data_dir):
    """An SSL context that trusts only the community CA in ``data_dir``."""
    return ssl.create_default_context(cafile=str(Path(data_dir) / "tls" / "ca.crt"))


def tls_init(data_dir, names=(NAME,), ips=(LOOPBACK,)):
    """`gridvisit tls init` in ``data_dir``: the community CA and a server certificate."""
    args = ["tls", "init", "--community", "石家社区"]
    for name in names:
        args += ["--name", name]
    for ip in ips:
        args += ["--ip", ip]
    gridvisit_cli(data_dir, *args)
    return Path(data_dir) / "tls"


def _dial(address, *args, **kwargs):
    host, port = address
    return socket.create_connection((LOOPBACK if host == NAME else host, port), *args, **kwargs)


class _ByName(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # http.client's own hook for reaching the host; the TLS handshake
        # still names NAME (SNI) and checks the certificate for it.
        self._create_connection = _dial


class _ByNameHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_ByName, req, context=self._context)


def lan_opener(data_dir):
    """A urllib opener that finds NAME on loopback and trusts only ``data_dir``'s CA:
    ``opener.open(url_or_request, timeout=…)`` asks the server as a tablet would."""
    return urllib.request.build_opener(_ByNameHandler(context=ca_context(data_dir)))


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


def serve_https(data_dir, port, http_port, username="admin", password="admin-secret", env=None):
    """`serve` on ``data_dir`` (which holds a certificate) with HTTPS on ``port`` and
    the plain-HTTP listener on ``http_port`` (again, after a stop).

    The peer's ``extra`` has ``port`` (HTTPS), ``http_port`` and ``data_dir``.
    """
    data_dir = Path(data_dir)
    log = data_dir / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", LOOPBACK, "--port", str(port),
             "--http-port", str(http_port), "--data-dir", str(data_dir)],
            cwd=ROOT, env=dict(os.environ, **(env or {})), stdout=out, stderr=subprocess.STDOUT)
    context = ca_context(data_dir)
    _wait(f"https://{LOOPBACK}:{port}/couch/", proc, log, context)
    _wait(f"http://{LOOPBACK}:{http_port}/ca", proc, log)
    return Peer("gridvisit-https", f"https://{LOOPBACK}:{port}/couch", username, password, proc,
                log, context=context,
                extra={"data_dir": data_dir, "port": port, "http_port": http_port})


def start_https(data_dir, username="admin", password="admin-secret", names=(NAME,),
                ips=(LOOPBACK,), tls=None, env=None):
    """`tls init` (or a copy of the ``tls`` folder one made), an admin account, then
    `serve` with HTTPS and the plain-HTTP listener on free ports (see serve_https).

    Servers given the same ``tls`` present one certificate, so a browser told to
    trust its key once trusts them all.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if tls is None:
        tls_init(data_dir, names, ips)
    else:
        shutil.copytree(tls, data_dir / "tls")
    gridvisit_cli(data_dir, "create-user", username, "--role", "admin", stdin=password + "\n",
                  env=env)
    return serve_https(data_dir, free_port(), free_port(), username, password, env)
