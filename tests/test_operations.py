"""Operations (issue 18): health checks, Prometheus metrics (one process and
gunicorn's several), and the JSON line per request without secrets."""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests import fielddocs as fd
from server import create_app
from tests.api import ADMIN, PASSWORD, Couch, basic, make_app, make_field_app
from tests.peers import ROOT, free_port, gridvisit_cli, start_gridvisit


def _samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples, name, **labels):
    return sum(v for (n, l), v in samples.items() if n == name and set(labels.items()) <= l)


def _scrape(app):
    resp = app.test_client().get("/metrics")
    assert resp.status_code == 200, resp.data
    return _samples(resp.get_data(as_text=True))


def test_healthz_and_readyz(tmp_path):
    client = make_field_app(tmp_path).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "checks": {"serverdb": "ok", "field": "ok"}}


def test_metrics_count_requests_writes_refusals_and_quarantine(tmp_path):
    app = make_field_app(tmp_path)
    before = _scrape(app)
    worker = Couch(app, auth=("w1", PASSWORD))
    good = worker.post("field/_bulk_docs", json={"docs": [fd.household("g1", "m1"),
                                                          fd.household("g1", "m2")]})
    assert all(row.get("ok") for row in good.get_json())
    refused = worker.put("field/household:g3:m3", json=fd.household("g3", "m3"))
    assert refused.status_code == 403
    after = _scrape(app)

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("gridvisit_documents_written_total") == 2
    assert grew("gridvisit_documents_refused_total") == 1
    assert grew("gridvisit_documents_quarantined_total") == 1
    assert grew("gridvisit_http_requests_total", route="/couch/<db>/_bulk_docs",
                method="POST", status="201") == 1
    assert grew("gridvisit_http_requests_total", route="/couch/<db>/<docid>",
                method="PUT", status="403") == 1
    assert grew("gridvisit_http_request_seconds_count", route="/couch/<db>/_bulk_docs") == 1


def test_metrics_from_another_address_need_an_admin(tmp_path):
    client = make_app(tmp_path).test_client()
    lan = {"REMOTE_ADDR": "192.168.1.50"}
    assert client.get("/metrics", environ_base=lan).status_code == 401
    resp = client.get("/metrics", environ_base=lan, headers=basic(*ADMIN))
    assert resp.status_code == 200 and b"gridvisit_http_requests_total" in resp.data


def test_request_log_is_one_json_line_without_secrets_or_ids(tmp_path):
    log = tmp_path / "requests.log"
    data = make_field_app(tmp_path / "data").config["DATA_DIR"]
    # The same data served with the log setting, as a server would start.
    app = create_app({"DATA_DIR": data, "REQUEST_LOG": str(log)})
    worker = Couch(app, auth=("w1", PASSWORD))
    assert worker.put("field/household:g1:zhangsan-601",
                      json=fd.household("g1", "zhangsan-601")).status_code == 201
    worker.get("field/household:g1:zhangsan-601")
    app.test_client().get("/healthz")
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(x["method"], x["route"], x["status"], x["user"]) for x in lines] == [
        ("PUT", "/couch/<db>/<docid>", 201, "w1"),
        ("GET", "/couch/<db>/<docid>", 200, "w1"),
        ("GET", "/healthz", 200, None)]
    assert all(isinstance(x["ms"], float) and set(x) == {"ts", "user", "device", "method",
                                                         "route", "status", "ms"} for x in lines)
    text = log.read_text(encoding="utf-8")
    assert PASSWORD not in text and "zhangsan" not in text and "Basic" not in text


def test_metrics_add_up_gunicorn_workers_and_count_open_longpolls(tmp_path):
    peer = start_gridvisit(tmp_path / "server", username="root", password="root-secret")
    auth = basic("root", "root-secret")
    base = peer.base.rsplit("/couch", 1)[0]

    def get(path, timeout=30):
        req = urllib.request.Request(base + path, headers=auth)
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read().decode()

    try:
        req = urllib.request.Request(base + "/couch/field", method="PUT", headers=auth)
        urllib.request.urlopen(req, timeout=30).read()
        for _ in range(12):                  # spread over both workers by the kernel
            get("/healthz")
        waiting = threading.Thread(
            target=get, args=("/couch/field/_changes?feed=longpoll&since=now&timeout=4000",))
        waiting.start()
        deadline = threading.Event()
        samples = {}
        for _ in range(40):
            samples = _samples(get("/metrics"))
            if _value(samples, "gridvisit_open_longpolls") == 1:
                break
            deadline.wait(0.1)
        assert _value(samples, "gridvisit_open_longpolls") == 1
        assert _value(samples, "gridvisit_http_requests_total", route="/healthz") == 12
        waiting.join(10)
        after = _samples(get("/metrics"))
        assert _value(after, "gridvisit_open_longpolls") == 0
    finally:
        peer.stop()


def test_doctor_names_what_to_fix_in_chinese_and_english(tmp_path):
    data = tmp_path / "data"
    make_app(data)
    done = gridvisit_cli(data, "doctor", check=False,
                         env={"GRIDVISIT_HUB_URL": f"http://127.0.0.1:{free_port()}/field"})
    assert done.returncode == 1
    out = done.stdout
    assert "[!! ] tls: 没有 HTTPS 证书" in out and "No HTTPS certificate" in out
    assert "[!! ] hub: 无法连接上级数据中心 127.0.0.1" in out and "Cannot reach the hub" in out
    assert "[OK ] disk" in out and "[OK ] permissions" in out

    gridvisit_cli(data, "tls", "init", "--name", "shijia.lan")
    (data / "tls" / "server.key").chmod(0o644)
    out = gridvisit_cli(data, "doctor", check=False).stdout
    assert "[OK ] tls: 证书有效" in out and "DNS:shijia.lan" in out
    assert f"[!! ] permissions: {data / 'tls' / 'server.key'} 其他用户可读" in out
    assert f"run `chmod 600 {data / 'tls' / 'server.key'}`" in out


def test_doctor_checks_the_hub_and_the_clock_against_it(tmp_path, gridvisit):
    data = tmp_path / "data"
    make_app(data)
    gridvisit_cli(data, "tls", "init", "--name", "shijia.lan")
    req = urllib.request.Request(gridvisit.url("doctorhub", auth=False), method="PUT",
                                 headers=basic(*ADMIN))
    try:
        urllib.request.urlopen(req, timeout=30).read()
    except urllib.error.HTTPError as err:
        assert err.code == 412                  # made by an earlier run in this session
    env = {"GRIDVISIT_HUB_URL": gridvisit.url("doctorhub", auth=False), "GRIDVISIT_HUB_USER": "admin",
           "GRIDVISIT_HUB_PASSWORD": "admin-secret"}
    done = gridvisit_cli(data, "doctor", env=env)
    assert "[OK ] hub: 上级数据中心可以连接" in done.stdout
    assert "[OK ] clock: 时钟偏差" in done.stdout
    assert done.stdout.rstrip().endswith("0 个问题 / 0 problem(s)")
    env["GRIDVISIT_HUB_PASSWORD"] = "wrong"
    refused = gridvisit_cli(data, "doctor", env=env, check=False)
    assert refused.returncode == 1 and "检查 HUB_USER 与 HUB_PASSWORD" in refused.stdout
    assert "wrong" not in refused.stdout


def test_the_first_requests_of_a_worker_make_the_metrics_once(tmp_path):
    """A worker's first requests arrive together on its threads; the metrics
    must be made once, not raise DuplicateTimeseries for the slower thread
    (a 500 on whichever file of the field app lost the race)."""
    code = ("import threading\n"
            "from server.ops import metrics\n"
            "errors, start = [], threading.Barrier(16)\n"
            "def first():\n"
            "    start.wait()\n"
            "    try:\n"
            "        metrics.observe('/app/<path:name>', 'GET', 200, 0.001)\n"
            "    except Exception as err:\n"
            "        errors.append(repr(err))\n"
            "threads = [threading.Thread(target=first) for _ in range(16)]\n"
            "[t.start() for t in threads]; [t.join() for t in threads]\n"
            "print(errors)\n")
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                             text=True, env=dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path)))
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[]"
