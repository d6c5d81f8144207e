"""What the connection says about a request: ``X-Forwarded-*`` from trusted
proxies only, HSTS and ``Secure`` cookies over HTTPS, and the plain-HTTP
listener's redirect to HTTPS (all but the CA page and health checks).
"""

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
             "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")
# Reachable over plain HTTP even when HTTPS is on: a tablet that does not yet
# trust the community CA must be able to fetch it.
PLAIN_PATHS = ("/ca", "/healthz", "/readyz")


def parse_proxies(text):
    """The networks of TRUSTED_PROXIES (comma-separated addresses or CIDR blocks).

    :raises ValueError: naming the entry that is neither.
    """
    networks = []
    for entry in filter(None, (part.strip() for part in (text or "").split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: 不是地址或网段 / not an address or network: "
                             f"{entry!r}") from None
    return tuple(networks)


def _trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _with_port(host, port):
    """``host`` (maybe with a port, maybe ``[v6]``) with its port replaced by ``port``."""
    if host.startswith("["):
        name = host[:host.index("]") + 1]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name if port == 443 else f"{name}:{port}"


class Transport:
    """WSGI middleware: trusted proxies, HSTS, Secure cookies, optional redirect to HTTPS."""

    def __init__(self, app, trusted_proxies="", hsts_seconds=0, redirect_port=None):
        self.app = app
        self.networks = parse_proxies(trusted_proxies)
        self.proxy_fix = ProxyFix(lambda _env, _start: [], x_for=1, x_proto=1, x_host=1,
                                  x_port=1, x_prefix=1)
        self.hsts = f"max-age={int(hsts_seconds)}" if hsts_seconds else None
        self.redirect_port = redirect_port

    def __call__(self, environ, start_response):
        if _trusted(environ.get("REMOTE_ADDR"), self.networks):
            # ProxyFix rewrites the environ in place before it calls its app:
            # a pass-through app, so the corrected scheme is known here.
            self.proxy_fix(environ, None)
        else:
            for name in FORWARDED:       # nobody else may claim to be a proxy
                environ.pop(name, None)
        secure = environ.get("wsgi.url_scheme") == "https"
        if self.redirect_port and not secure and not self._plain(environ.get("PATH_INFO", "")):
            return self._redirect(environ, start_response)
        if not secure:
            return self.app(environ, start_response)

        def secure_start(status, headers, exc_info=None):
            headers = [(k, v + "; Secure") if k.lower() == "set-cookie"
                       and "secure" not in v.lower() else (k, v) for k, v in headers]
            if self.hsts:
                headers.append(("Strict-Transport-Security", self.hsts))
            return start_response(status, headers, exc_info)

        return self.app(environ, secure_start)

    @staticmethod
    def _plain(path):
        return any(path == p or path.startswith(p + "/") for p in PLAIN_PATHS)

    def _redirect(self, environ, start_response):
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        target = (f"https://{_with_port(host, self.redirect_port)}"
                  f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        body = f"请使用 HTTPS / use HTTPS: {target}\n".encode()
        # 308 keeps the method and body, so a replication POST follows it too.
        start_response("308 Permanent Redirect", [
            ("Location", target), ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body)))])
        return [body]
