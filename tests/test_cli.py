"""The ``gridvisit`` command line, run as a user runs it (a real subprocess).

Each test drives ``python -m server ... --data-dir tmp_path`` and then looks
at the real tables and field database through ``create_app`` over the same
directory.
"""

import csv
import io
import os
import stat

import pytest

from server import create_app
from server.cli import demo
from server.accounts import roster
from rules import schemas
from tests.peers import ROOT, gridvisit_cli
from server.services import services

FIXTURE = ROOT / "tests" / "fixtures" / "roster.csv"
ROSTER_ACCOUNTS = {"wangfang", "liqiang", "zhaomin", "chenjing", "liuyang", "zhangwei"}


def cli(data_dir, *args, stdin=None):
    """Run the CLI without raising; the result has returncode, stdout, stderr."""
    result = gridvisit_cli(data_dir, *args, stdin=stdin, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def tables(data_dir):
    """``(accounts, directory)`` of a fresh app over ``data_dir``."""
    app = create_app({"DATA_DIR": str(data_dir)})
    return services(app).accounts, services(app).directory


def snapshot(data_dir):
    """Everything an import may touch, to compare before and after."""
    accounts, directory = tables(data_dir)
    users = [(u.name, u.role, u.display_name, u.active, u.password_hash, u.id)
             for u in accounts.list()]
    held = {u.name: (directory.grids_of(u), directory.communities_of(u))
            for u in accounts.list()}
    return (users, held, directory.grids(), directory.communities(),
            roster.phones(directory.db))


@pytest.fixture
def place(tmp_path):
    """A street, a community with two grids, a worker and a supervisor."""
    accounts, directory = tables(tmp_path)
    directory.put_street("chaoyangmen", "朝阳门街道")
    directory.put_community("shijia", "史家社区", "chaoyangmen")
    directory.put_grid("g1", "网格一", "shijia")
    directory.put_grid("g2", "网格二", "shijia")
    accounts.create("wangfang", "password-1", "worker", "王芳")
    accounts.create("zhangwei", "password-2", "supervisor", "张伟")
    return tmp_path


# -- assign / unassign -------------------------------------------------------

def test_assign_and_unassign_a_grid(place):
    assert cli(place, "assign", "wangfang", "--grid", "g1").returncode == 0
    assert cli(place, "assign", "wangfang", "--grid", "g2").returncode == 0
    accounts, directory = tables(place)
    assert directory.grids_of(accounts.by_name("wangfang")) == {"g1", "g2"}
    result = cli(place, "unassign", "wangfang", "--grid", "g1")
    assert result.returncode == 0 and "removed from grid g1" in result.stdout
    assert directory.grids_of(accounts.by_name("wangfang")) == {"g2"}


def test_assign_a_community_to_a_supervisor(place):
    assert cli(place, "assign", "zhangwei", "--community", "shijia").returncode == 0
    accounts, directory = tables(place)
    supervisor = accounts.by_name("zhangwei")
    assert directory.communities_of(supervisor) == ["shijia"]
    assert directory.grids_of(supervisor) == {"g1", "g2"}
    assert cli(place, "unassign", "zhangwei", "--community", "shijia").returncode == 0
    assert directory.communities_of(supervisor) == []


def test_assign_unknown_user_is_refused(place):
    result = cli(place, "assign", "ghost", "--grid", "g1")
    assert result.returncode == 1
    assert "no account called 'ghost'" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("wangfang", "--community", "shijia"), "only supervisors and hub accounts"),
    (("zhangwei", "--grid", "g1"), "only workers are assigned grids"),
    (("wangfang", "--grid", "g9"), "no grid 'g9'"),
])
def test_assignment_that_does_not_fit_is_refused(place, args, message):
    result = cli(place, "assign", *args)
    assert result.returncode == 1 and message in result.stderr
    accounts, directory = tables(place)
    assert directory.grids_of(accounts.by_name("wangfang")) == frozenset()
    assert directory.communities_of(accounts.by_name("zhangwei")) == []


@pytest.mark.parametrize("args", [(), ("--grid", "g1", "--community", "shijia")])
def test_assign_needs_exactly_one_target(place, args):
    result = cli(place, "assign", "wangfang", *args)
    assert result.returncode == 2 and "exactly one of --grid or --community" in result.stderr


# -- activate / deactivate / users ---------------------------------------------

def test_deactivate_and_activate(place):
    accounts, _ = tables(place)
    assert cli(place, "deactivate", "wangfang").returncode == 0
    assert not accounts.by_name("wangfang").is_active
    assert accounts.authenticate("wangfang", "password-1") is None
    assert cli(place, "activate", "wangfang").returncode == 0
    assert accounts.by_name("wangfang").is_active
    assert accounts.authenticate("wangfang", "password-1") is not None


@pytest.mark.parametrize("command", ["activate", "deactivate"])
def test_activate_unknown_user_is_refused(place, command):
    result = cli(place, command, "ghost")
    assert result.returncode == 1 and "no account called 'ghost'" in result.stderr


def test_users_lists_roles_places_and_state(place):
    cli(place, "assign", "wangfang", "--grid", "g1")
    cli(place, "assign", "wangfang", "--grid", "g2")
    cli(place, "assign", "zhangwei", "--community", "shijia")
    cli(place, "deactivate", "zhangwei")
    result = cli(place, "users")
    assert result.returncode == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:]}
    assert rows["wangfang"][:5] == ["wangfang", "王芳", "worker", "yes", "g1,"]
    assert "g1, g2" in result.stdout
    assert rows["zhangwei"][:5] == ["zhangwei", "张伟", "supervisor", "no", "shijia"]


# -- import-roster -----------------------------------------------------------

def test_import_roster_creates_everything(tmp_path):
    out = tmp_path / "passwords.csv"
    result = cli(tmp_path / "data", "import-roster", str(FIXTURE), "--passwords-out", str(out))
    assert result.returncode == 0, result.stderr
    assert ("streets 1, communities 1, grids 3; accounts created 6, kept 0; "
            "assignments added 7") in result.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    passwords = dict(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert passwords.pop("account") == "password" and set(passwords) == ROSTER_ACCOUNTS
    assert all(password not in result.stdout for password in passwords.values())

    accounts, directory = tables(tmp_path / "data")
    for name, password in passwords.items():
        assert accounts.authenticate(name, password) is not None
    wangfang, zhangwei = accounts.by_name("wangfang"), accounts.by_name("zhangwei")
    assert (wangfang.role, wangfang.display_name) == ("worker", "王芳")
    assert directory.grids_of(wangfang) == {"shijia-01", "shijia-02"}
    assert zhangwei.role == "supervisor" and directory.communities_of(zhangwei) == ["shijia"]
    assert directory.grids_of(zhangwei) == {"shijia-01", "shijia-02", "shijia-03"}
    assert [(g["id"], g["name"], g["community_name"], g["street_name"])
            for g in directory.grids()] == [
        ("shijia-01", "网格一", "史家社区", "朝阳门街道"),
        ("shijia-02", "网格二", "史家社区", "朝阳门街道"),
        ("shijia-03", "网格三", "史家社区", "朝阳门街道")]
    assert roster.phones(directory.db)[wangfang.id] == "138 1234 5678"


def test_import_roster_prints_passwords_once_without_a_file(tmp_path):
    result = cli(tmp_path, "import-roster", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("account,password") + 1
    passwords = dict(line.split(",") for line in lines[start:start + 6])
    assert set(passwords) == ROSTER_ACCOUNTS
    accounts, _ = tables(tmp_path)
    assert all(accounts.authenticate(n, p) is not None for n, p in passwords.items())


def test_reimport_changes_nothing(tmp_path):
    first = tmp_path / "first.csv"
    assert cli(tmp_path / "d", "import-roster", str(FIXTURE),
               "--passwords-out", str(first)).returncode == 0
    before = snapshot(tmp_path / "d")
    result = cli(tmp_path / "d", "import-roster", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert "accounts created 0, kept 6; assignments added 0, already in place 7" \
        in result.stdout
    assert "account,password" not in result.stdout
    assert snapshot(tmp_path / "d") == before


def test_reimport_keeps_existing_accounts_and_assigns_them(tmp_path):
    accounts, _ = tables(tmp_path)
    accounts.create("wangfang", "her-own-password", "worker", "王芳芳")
    result = cli(tmp_path, "import-roster", str(FIXTURE))
    assert result.returncode == 0, result.stderr
    assert "accounts created 5, kept 1" in result.stdout
    assert "wangfang," not in result.stdout
    accounts, directory = tables(tmp_path)
    kept = accounts.authenticate("wangfang", "her-own-password")
    assert kept is not None and kept.display_name == "王芳芳"
    assert directory.grids_of(kept) == {"shijia-01", "shijia-02"}


def test_import_roster_accepts_the_excel_bom(tmp_path):
    bom = tmp_path / "excel.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + FIXTURE.read_bytes().replace(b"\n", b"\r\n"))
    result = cli(tmp_path / "d", "import-roster", str(bom))
    assert result.returncode == 0, result.stderr
    _, directory = tables(tmp_path / "d")
    assert [c["id"] for c in directory.communities()] == ["shijia"]


def _write_roster(path, replace_line, new_line):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[replace_line - 1] = new_line
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _assert_nothing_written(data_dir):
    accounts, directory = tables(data_dir)
    assert accounts.count() == 0
    assert directory.grids() == [] and directory.communities() == []


@pytest.mark.parametrize("line, message", [
    ("chaoyangmen,朝阳门街道,shijia,史家社区,网格3,网格三,liuyang,刘洋,worker,",
     "row 7, grid_id: 须为 1–64 个字母"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,shijia-01,网格一,liuyang,刘洋,boss,",
     "row 7, role: 须为 worker（网格员）或 supervisor（主管） / must be worker or supervisor"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,,,liuyang,刘洋,worker,",
     "row 7, grid_id: 网格员必须填写网格 / a worker needs a grid"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,shijia-01,网格一,liuyang,刘洋,worker,12",
     "row 7, phone:"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,shijia-01,第一网格,liuyang,刘洋,worker,",
     "row 7, grid_name: 与第 2 行不一致"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,shijia-01,网格一,li/yang,刘洋,worker,",
     "row 7, account:"),
    ("chaoyangmen,朝阳门街道,shijia,史家社区,shijia-01,网格一,liuyang,刘洋,worker,,extra",
     "row 7: 11 个字段"),
])
def test_bad_row_writes_nothing(tmp_path, line, message):
    bad = _write_roster(tmp_path / "bad.csv", 7, line)
    out = tmp_path / "passwords.csv"
    result = cli(tmp_path / "d", "import-roster", str(bad), "--passwords-out", str(out))
    assert result.returncode == 1
    assert message in result.stderr and "nothing imported" in result.stderr
    assert not out.exists()
    _assert_nothing_written(tmp_path / "d")


def test_roster_clashing_with_an_existing_account_writes_nothing(tmp_path):
    accounts, _ = tables(tmp_path)
    accounts.create("liqiang", "password-1", "supervisor")
    out = tmp_path / "passwords.csv"
    result = cli(tmp_path, "import-roster", str(FIXTURE), "--passwords-out", str(out))
    assert result.returncode == 1
    assert "row 4, role: 账户已存在，角色为 supervisor" in result.stderr
    assert not out.exists()
    accounts, directory = tables(tmp_path)
    assert [u.name for u in accounts.list()] == ["liqiang"]
    assert directory.grids() == []


def test_import_failing_midway_rolls_everything_back(tmp_path, monkeypatch):
    # In-process: no valid roster fails while writing, so make the 3rd assignment fail.
    accounts, directory = tables(tmp_path)
    real_assign, calls = directory.assign, []

    def flaky_assign(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_assign(*args, **kwargs)

    monkeypatch.setattr(directory, "assign", flaky_assign)
    with pytest.raises(RuntimeError):
        roster.import_roster(roster.parse(FIXTURE.read_bytes()), accounts, directory)
    assert len(calls) == 3
    _assert_nothing_written(tmp_path)


@pytest.mark.parametrize("content, message", [
    ("street_id,gird_id\n", "header, gird_id: 未知的列 / unknown column"),
    (FIXTURE.read_text(encoding="utf-8").splitlines()[0] + "\n", "no data rows"),
])
def test_bad_header_or_empty_roster_is_refused(tmp_path, content, message):
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    result = cli(tmp_path / "d", "import-roster", str(path))
    assert result.returncode == 1 and message in result.stderr
    _assert_nothing_written(tmp_path / "d")


def test_roster_not_in_utf8_is_refused(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("gb18030"))
    result = cli(tmp_path / "d", "import-roster", str(gbk))
    assert result.returncode == 1 and "not UTF-8" in result.stderr
    _assert_nothing_written(tmp_path / "d")


def test_passwords_out_is_never_overwritten(tmp_path):
    out = tmp_path / "passwords.csv"
    out.write_text("account,password\nold,secret-kept\n")
    result = cli(tmp_path / "d", "import-roster", str(FIXTURE), "--passwords-out", str(out))
    assert result.returncode == 2 and "exists already" in result.stderr
    assert "secret-kept" in out.read_text()
    _assert_nothing_written(tmp_path / "d")


def test_missing_roster_file_is_a_clear_error(tmp_path):
    result = cli(tmp_path, "import-roster", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "nope.csv: cannot read" in result.stderr


# -- seed-demo -----------------------------------------------------------------

def _field_docs(data_dir):
    app = create_app({"DATA_DIR": str(data_dir)})
    db = services(app).store.get(app.config["FIELD_DB"])
    rows = db.all_docs(include_docs=True)["rows"]
    return db.info()["update_seq"], [row["doc"] for row in rows]


def test_seed_demo_twice_gives_the_same_valid_documents(tmp_path):
    first = cli(tmp_path, "seed-demo")
    assert first.returncode == 0, first.stderr
    for name in ("wangfang", "liqiang", "zhangwei", "admin"):
        assert f"demo-{name}" in first.stdout
    seq, every = _field_docs(tmp_path)
    saved = next(doc for doc in every if doc["_id"] == "rules:warning")
    assert saved["rules"][-1] == demo.NO_CONTACT          # the shipped set and the answer rule
    docs = every
    assert len(docs) == len(demo.documents()) and f"documents written {len(docs)}" \
        in first.stdout
    kinds = [doc["type"] for doc in docs]
    assert kinds.count("grid") == 3 and kinds.count("household") == 72
    assert kinds.count("visit") >= 3 and kinds.count("request") >= 2
    for doc in docs:
        schemas.validate(doc)
    households = [doc for doc in docs if doc["type"] == "household"]
    assert {doc["colour"] for doc in households} == {"green", "yellow", "red"}
    assert sum(doc["colour"] == "green" for doc in households) > len(households) / 2
    assert any("elderly_alone" in m["tags"] for doc in households for m in doc["members"])

    second = cli(tmp_path, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert f"documents written 0, already there {len(docs)}" in second.stdout
    assert "password unchanged" in second.stdout
    assert _field_docs(tmp_path) == (seq, every)


def test_seed_demo_accounts_can_sign_in_and_see_their_grids(tmp_path):
    assert cli(tmp_path, "seed-demo").returncode == 0
    accounts, directory = tables(tmp_path)
    signed_in = {name: accounts.authenticate(name, f"demo-{name}")
                 for name in ("wangfang", "liqiang", "zhangwei", "admin")}
    assert all(signed_in.values())
    assert signed_in["admin"].role == "admin"
    assert directory.grids_of(signed_in["wangfang"]) == {"g1", "g2"}
    assert directory.grids_of(signed_in["liqiang"]) == {"g3"}
    assert directory.communities_of(signed_in["zhangwei"]) == ["shijia"]
    assert signed_in["wangfang"].display_name == "王芳"


def test_seed_demo_leaves_an_existing_admin_alone(tmp_path):
    assert cli(tmp_path, "create-user", "boss", "--role", "admin",
               stdin="boss-password\n").returncode == 0
    result = cli(tmp_path, "seed-demo")
    assert result.returncode == 0 and "no demo admin was made" in result.stdout
    accounts, _ = tables(tmp_path)
    assert accounts.by_name("admin") is None
    assert accounts.authenticate("boss", "boss-password") is not None


def test_seed_demo_refuses_a_demo_name_taken_by_another_role(tmp_path):
    accounts, _ = tables(tmp_path)
    accounts.create("wangfang", "password-1", "supervisor")
    result = cli(tmp_path, "seed-demo")
    assert result.returncode == 1
    assert "the demo needs 'wangfang' as a worker, but it exists as a supervisor" \
        in result.stderr
    app = create_app({"DATA_DIR": str(tmp_path)})
    assert not services(app).store.exists(app.config["FIELD_DB"])
    assert [u.name for u in services(app).accounts.list()] == ["wangfang"]
