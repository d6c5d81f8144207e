"""`gridvisit doctor`: checks an install (TLS, clock, disk space, permissions,
hub reachability) and says what to fix, in Chinese and then English."""

import email.utils
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from server.ops import tls

MIN_FREE_BYTES = 1 << 30          # below 1 GiB a day of photos may not fit
CERT_WARN_DAYS = 30
MAX_SKEW_SECONDS = 120            # field stamps order edits by time; minutes of skew misorder them
SECRET_FILES = ("secret_key", "initial-admin-password.txt", "tls/ca.key", "tls/server.key")


@dataclass
class Finding:
    """One check's outcome: ``ok`` or a problem, with the fix in both languages."""

    ok: bool
    check: str
    zh: str
    en: str

    def render(self):
        """The finding as the command prints it."""
        mark = "OK " if self.ok else "!! "
        return f"[{mark}] {self.check}: {self.zh}\n        {self.en}"


def check_tls(config):
    """HTTPS: a certificate, its key private, not about to expire."""
    try:
        pair = tls.cert_paths(config)
    except tls.TlsError as err:
        return [Finding(False, "tls", *err.reason.split(" / ", 1))]
    if pair is None:
        return [Finding(False, "tls", "没有 HTTPS 证书：平板无法离线使用。运行 `gridvisit tls init --name 名称 "
                        "--ip 地址` 后重启服务。",
                        "No HTTPS certificate: tablets cannot work offline. Run `gridvisit tls "
                        "init --name NAME --ip ADDRESS`, then restart the server.")]
    cert, key = pair
    if not cert.exists() or not key.exists():
        return [Finding(False, "tls", f"证书或私钥文件不存在：{cert}，{key}",
                        f"Certificate or key file missing: {cert}, {key}")]
    if tls.expires_within(cert, 0):
        return [Finding(False, "tls", "证书已过期：运行 `gridvisit tls init` 重新签发（社区 CA 保持不变）。",
                        "The certificate has expired: run `gridvisit tls init` to re-issue it "
                        "(the community CA stays).")]
    if tls.expires_within(cert, CERT_WARN_DAYS * 86400):
        return [Finding(False, "tls", f"证书将在 {CERT_WARN_DAYS} 天内过期：运行 `gridvisit tls init` 重新签发。",
                        f"The certificate expires within {CERT_WARN_DAYS} days: run "
                        "`gridvisit tls init` to re-issue it.")]
    names = " ".join(tls.describe(cert).split())
    return [Finding(True, "tls", f"证书有效 {names}", f"certificate valid: {names}")]


def check_disk(data_dir):
    """Free space where the databases live."""
    usage = shutil.disk_usage(data_dir)
    free_gib = usage.free / (1 << 30)
    if usage.free < MIN_FREE_BYTES or usage.free < usage.total * 0.05:
        return [Finding(False, "disk", f"{data_dir} 所在磁盘仅剩 {free_gib:.1f} GiB：清理旧备份或换更大的磁盘。",
                        f"Only {free_gib:.1f} GiB free for {data_dir}: remove old backups "
                        "or move to a larger disk.")]
    return [Finding(True, "disk", f"剩余 {free_gib:.1f} GiB", f"{free_gib:.1f} GiB free")]


def check_permissions(data_dir):
    """The data folder writable by the server and closed to others; secrets 0600."""
    found = []
    folder = Path(data_dir)
    if not os.access(folder, os.W_OK):
        found.append(Finding(False, "permissions", f"服务账户无法写入 {folder}：`chown -R` 给运行服务的用户。",
                             f"{folder} is not writable by this user: chown it to the "
                             "server's user."))
    if folder.stat().st_mode & stat.S_IWOTH:
        found.append(Finding(False, "permissions", f"{folder} 所有人可写：运行 `chmod o-w {folder}`。",
                             f"{folder} is writable by everyone: run `chmod o-w {folder}`."))
    for name in SECRET_FILES:
        path = folder / name
        if path.exists() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            found.append(Finding(False, "permissions", f"{path} 其他用户可读：运行 `chmod 600 {path}`。",
                                 f"{path} is readable by others: run `chmod 600 {path}`."))
    return found or [Finding(True, "permissions", "数据目录与密钥权限正确",
                             "data folder and secrets have safe permissions")]


def _hub_client(config):
    import httpx
    auth = (config["HUB_USER"], config["HUB_PASSWORD"]) if config["HUB_USER"] else None
    return httpx.Client(timeout=5, auth=auth, verify=True)


def check_hub_and_clock(config, now=time.time):
    """The hub answers (when HUB_URL is set), and this clock agrees with the hub's."""
    hub = config["HUB_URL"]
    if not hub:
        year = time.gmtime(now()).tm_year
        if year < 2024:
            return [Finding(False, "clock",
                            f"系统时间是 {year} 年：校准时钟（启用 NTP：`timedatectl set-ntp true`）。",
                            f"The clock says {year}: set it (enable NTP: "
                            "`timedatectl set-ntp true`).")]
        return [Finding(True, "hub", "未配置 HUB_URL，跳过上级数据中心检查",
                        "HUB_URL is not set: hub not checked")]
    import httpx
    try:
        with _hub_client(config) as client:
            resp = client.get(hub)          # the database itself: it needs the account
    except httpx.HTTPError as err:
        # The URL may hold a password: name the host only.
        host = httpx.URL(hub).host
        return [Finding(False, "hub", f"无法连接上级数据中心 {host}（{type(err).__name__}）："
                        "检查网络、HUB_URL 与防火墙。",
                        f"Cannot reach the hub {host} ({type(err).__name__}): check the "
                        "network, HUB_URL and the firewall.")]
    found = []
    if resp.status_code in (401, 403):
        found.append(Finding(False, "hub", "上级数据中心拒绝了账户：检查 HUB_USER 与 HUB_PASSWORD。",
                             "The hub refused the account: check HUB_USER and HUB_PASSWORD."))
    elif resp.status_code >= 400:
        found.append(Finding(False, "hub", f"上级数据中心返回 {resp.status_code}：检查 HUB_URL 中的数据库名。",
                             f"The hub answered {resp.status_code}: check the database in HUB_URL."))
    else:
        found.append(Finding(True, "hub", "上级数据中心可以连接", "the hub answers"))
    if resp.headers.get("date"):
        skew = now() - email.utils.parsedate_to_datetime(resp.headers["date"]).timestamp()
        if abs(skew) > MAX_SKEW_SECONDS:
            found.append(Finding(False, "clock", f"本机时钟与上级数据中心相差 {skew:+.0f} 秒："
                                 "启用 NTP（`timedatectl set-ntp true`）。",
                                 f"This clock is {skew:+.0f} s off the hub's: enable NTP "
                                 "(`timedatectl set-ntp true`)."))
        else:
            found.append(Finding(True, "clock", f"时钟偏差 {skew:+.0f} 秒",
                                 f"clock within {skew:+.0f} s"))
    return found


def run(config):
    """Every check on the settings ``config``; a list of findings."""
    data_dir = config["DATA_DIR"]
    return (check_tls(config) + check_disk(data_dir) + check_permissions(data_dir)
            + check_hub_and_clock(config))
