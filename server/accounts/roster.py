"""Roster import: a community's streets, grids and accounts from one CSV file.

The file is UTF-8 (with or without the byte-order mark Excel writes) and
starts with a header row naming ``COLUMNS`` (``phone`` may be left out).
Each data row puts one account on one grid (a worker) or on the row's
community (a supervisor, whose ``grid_id`` may be empty). Rows are numbered
as a spreadsheet shows them: the header is row 1.

Every row is checked, against the other rows and against the server's
tables, before anything is written; then everything is written in one
transaction, so an import happens whole or not at all. Importing the same
file again changes nothing: existing accounts keep their passwords (and
display names) and are only assigned. Phones are kept with the accounts
(:meth:`server.accounts.users.Accounts.set_phone`), never replicated.
"""

import csv
import io
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field

from sync.errors import BadRequest

from server.accounts.users import SCHEMA, AccountError, NAME_MAX, check_name
from server.accounts.directory import ID_RE

COLUMNS = ("street_id", "street_name", "community_id", "community_name", "grid_id",
           "grid_name", "account", "display_name", "role", "phone")
OPTIONAL_COLUMNS = ("phone",)
ROLES = ("worker", "supervisor")
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PHONE = re.compile(r"[0-9 +-]{5,20}")


# rule -> (Chinese, English); both may use the row's other values by name.
RULES = {
    "id": ("须为 1–64 个字母、数字、“_”或“-”", "must be 1–64 letters, digits, '_' or '-'"),
    "name": ("须为 1–64 个字符", "must be 1–64 characters"),
    "display_name": ("最多 64 个字符", "must be at most 64 characters"),
    "account": ("须为 1–64 个字符，不含 : / \\，首尾不能有空格",
                "must be 1–64 characters without ':' '/' '\\' or surrounding spaces"),
    "role": ("须为 worker（网格员）或 supervisor（主管）", "must be worker or supervisor"),
    "phone": ("须为 5–20 个数字、空格、“+”或“-”，或留空",
              "must be 5–20 digits, spaces, '+' or '-', or be empty"),
    "worker_grid": ("网格员必须填写网格", "a worker needs a grid"),
    "disagrees": ("与第 {row} 行不一致（那里是 {other!r}）", "disagrees with row {row} ({other!r} there)"),
    "account_role": ("账户已存在，角色为 {role}", "the account exists already as {role}"),
    "moved": ("{what} {key!r} 已属于 {other!r}，导入不会移动它",
              "{what} {key!r} belongs to {other!r} already; an import does not move it"),
}


class RosterError(BadRequest):
    """The roster cannot be imported; ``problems`` lists each row, field and rule."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Entry:
    """One checked data row."""

    row: int
    street_id: str
    street_name: str
    community_id: str
    community_name: str
    grid_id: str
    grid_name: str
    account: str
    display_name: str
    role: str
    phone: str


@dataclass
class Report:
    """What an import did: counts of what the roster names, and what is new."""

    streets: int = 0
    communities: int = 0
    grids: int = 0
    created: list = field(default_factory=list)     # [(account, password)] of new accounts
    existing: int = 0                               # accounts kept as they were
    assigned: int = 0                               # assignments added
    already: int = 0                                # assignments already in place
    new_grids: dict = field(default_factory=dict)   # {grid: community} of grids created


def _problem(at_row, column, rule, value=None, **params):
    zh, en = (text.format(**params) for text in RULES[rule])
    got = "" if value is None else f" (got {value!r})"
    return f"row {at_row}, {column}: {zh} / {en}{got}"


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RosterError([f"file: 不是 UTF-8 编码（第 {err.start} 字节）；请在 Excel 中另存为"
                           f"“CSV UTF-8” / not UTF-8 (byte {err.start}); save it as "
                           f"'CSV UTF-8' in Excel"]) from None


def _header(cells):
    names = [cell.strip().lower() for cell in cells]
    while names and not names[-1]:          # Excel leaves empty columns at the end
        names.pop()
    problems = [f"header, {name or '(empty)'}: 未知的列 / unknown column (columns are "
                f"{', '.join(COLUMNS)})" for name in names if name not in COLUMNS]
    problems += [f"header, {name}: 列重复 / column appears twice"
                 for name in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"header, {name}: 缺少该列 / missing column" for name in COLUMNS
                 if name not in names and name not in OPTIONAL_COLUMNS]
    if problems:
        raise RosterError(problems)
    return names


def _check_row(row, values):
    """The problems of one row's own values (without looking at other rows)."""
    problems = []
    for column in ("street_id", "community_id", "grid_id"):
        value = values[column]
        if (value or column != "grid_id") and not ID_RE.fullmatch(value):
            problems.append(_problem(row, column, "id", value))
    for column in ("street_name", "community_name", "grid_name"):
        value = values[column]
        if (values["grid_id"] or column != "grid_name") and not 1 <= len(value) <= 64:
            problems.append(_problem(row, column, "name", value))
    try:
        check_name(values["account"])
    except AccountError:
        problems.append(_problem(row, "account", "account", values["account"]))
    if len(values["display_name"]) > NAME_MAX:
        problems.append(_problem(row, "display_name", "display_name", values["display_name"]))
    if values["role"] not in ROLES:
        problems.append(_problem(row, "role", "role", values["role"]))
    elif values["role"] == "worker" and not values["grid_id"]:
        problems.append(_problem(row, "grid_id", "worker_grid"))
    if values["phone"] and not PHONE.fullmatch(values["phone"]):
        problems.append(_problem(row, "phone", "phone", values["phone"]))
    return problems


def _agree(seen, key, entry, columns, problems):
    """Record ``entry``'s values for ``key``; complain where an earlier row differs.

    An empty value (display name, phone) agrees with anything.
    """
    first = seen.setdefault(key, entry)
    for column in columns:
        mine, theirs = getattr(entry, column), getattr(first, column)
        if mine and theirs and mine != theirs:
            problems.append(_problem(entry.row, column, "disagrees", mine,
                                     row=first.row, other=theirs))
        elif mine and not theirs:
            setattr(first, column, mine)


def parse(data):
    """Read and check a roster CSV given as bytes; return its rows as :class:`Entry`.

    :raises RosterError: listing every problem, by row and column.
    """
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    entries, problems = [], []
    try:
        header = _header(next(reader, []))
        for row, cells in enumerate(reader, start=2):
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if len(cells) > len(header) and any(cells[len(header):]):
                problems.append(f"row {row}: {len(cells)} 个字段，但表头只有 {len(header)} 列 / "
                                f"{len(cells)} fields, the header has {len(header)} columns")
                continue
            values = dict.fromkeys(COLUMNS, "")
            values.update(zip(header, cells))
            row_problems = _check_row(row, values)
            problems += row_problems
            if not row_problems:
                entries.append(Entry(row, **values))
    except csv.Error as err:
        raise RosterError([f"row {reader.line_num}: CSV 格式错误 / not valid CSV ({err})"]) \
            from None
    if not entries and not problems:
        problems.append("file: 没有数据行 / no data rows under the header")
    problems += _cross_check(entries)
    if problems:
        raise RosterError(problems)
    return entries


def _cross_check(entries):
    """Problems where rows disagree about the same street, community, grid or account."""
    problems, streets, communities, grids, accounts = [], {}, {}, {}, {}
    for entry in entries:
        _agree(streets, entry.street_id, entry, ("street_name",), problems)
        _agree(communities, entry.community_id, entry,
               ("community_name", "street_id"), problems)
        if entry.grid_id:
            _agree(grids, entry.grid_id, entry, ("grid_name", "community_id"), problems)
        _agree(accounts, entry.account, entry, ("display_name", "role", "phone"), problems)
    return problems


def _check_existing(entries, accounts, directory):
    """Problems between the roster and what the server holds already."""
    problems = []
    community_street = {c["id"]: c["street"] for c in directory.communities()}
    grid_community = {g["id"]: g["community"] for g in directory.grids()}
    for entry in entries:
        street = community_street.get(entry.community_id)
        if street is not None and street != entry.street_id:
            problems.append(_problem(entry.row, "street_id", "moved", entry.street_id,
                                     what="community", key=entry.community_id, other=street))
        community = grid_community.get(entry.grid_id)
        if community is not None and community != entry.community_id:
            problems.append(_problem(entry.row, "community_id", "moved", entry.community_id,
                                     what="grid", key=entry.grid_id, other=community))
        user = accounts.by_name(entry.account)
        if user is not None and user.role != entry.role:
            problems.append(_problem(entry.row, "role", "account_role", entry.role,
                                     role=user.role))
    return problems


def _password():
    # Letters and digits only, none that look alike (0/O, 1/l/I): people type these
    # on tablets, and a leading '-' or '=' would turn into a formula in Excel.
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(14))


@contextmanager
def _transaction(db):
    """One write transaction that the accounts and directory calls inside join."""
    with db.connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        yield conn


def import_roster(entries, accounts, directory, new_password=None):
    """Write checked roster ``entries`` through ``accounts`` and ``directory``.

    New accounts get ``new_password()`` (random by default).

    :raises RosterError: when the roster clashes with existing accounts or
        grids; nothing is written then.
    """
    new_password = new_password or _password
    problems = _check_existing(entries, accounts, directory)
    if problems:
        raise RosterError(problems)
    known = {grid["id"] for grid in directory.grids()}
    report = Report(streets=len({e.street_id for e in entries}),
                    communities=len({e.community_id for e in entries}),
                    grids=len({e.grid_id for e in entries if e.grid_id}),
                    new_grids={e.grid_id: e.community_id for e in entries
                               if e.grid_id and e.grid_id not in known})
    with _transaction(directory.db):
        for entry in entries:
            directory.put_street(entry.street_id, entry.street_name)
            directory.put_community(entry.community_id, entry.community_name, entry.street_id)
            if entry.grid_id:
                directory.put_grid(entry.grid_id, entry.grid_name, entry.community_id)
        users = {}
        for entry in entries:
            if entry.account in users:
                continue
            user = accounts.by_name(entry.account)
            if user is None:
                password = new_password()
                user = accounts.create(entry.account, password, entry.role, entry.display_name)
                report.created.append((entry.account, password))
            else:
                report.existing += 1
            users[entry.account] = user
            if entry.phone:
                accounts.set_phone(user.id, entry.phone)
        wanted = dict.fromkeys((e.account, e.grid_id, None) if e.role == "worker"
                               else (e.account, None, e.community_id) for e in entries)
        for name, grid, community in wanted:
            user = users[name]
            held = directory.grids_of(user) if grid else directory.communities_of(user)
            if (grid or community) in held:
                report.already += 1
                continue
            directory.assign(name, grid=grid, community=community)
            report.assigned += 1
    return report


def phones(db):
    """``{user_id: phone}`` of the accounts a roster gave a phone, from the
    server's SQLite file (``Accounts.phones`` reads them from either store)."""
    db.ensure(SCHEMA)
    with db.connect() as conn:
        return dict(conn.execute("SELECT user_id, phone FROM account_phones").fetchall())
