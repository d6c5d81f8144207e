"""Who is asking: sessions, HTTP Basic, device tokens (``/couch/_session`` is
:mod:`server.couch.session`).

Every sync endpoint needs a signed-in, active user. A request proves who it
is by a session cookie (``POST /couch/_session`` as CouchDB's cookie auth,
or the JSON login), by HTTP Basic credentials (what replicators send), or
by a tablet's device token (``Authorization: Bearer``). Password checks are
rate-limited per account and per address.
"""

from flask import g, request
from flask_login import LoginManager, current_user, logout_user

from sync.errors import Forbidden, Unauthorized
from server.accounts.wipe import DeviceRevoked, may_push
from server.services import services

login_manager = LoginManager()


def accounts():
    """The app's account table."""
    return services().accounts


@login_manager.user_loader
def _load_user(user_id):
    if request.authorization is not None:
        return None              # credentials on the request beat the cookie
    user = accounts().from_session(user_id)
    return user if user is not None and user.is_active else None


def check_password(name, password):
    """The active user with this name and password, throttled; failures audited.

    :raises TooManyAttempts: during a wait after failures for the name or address.
    """
    limiter = services().limiter
    address = request.remote_addr or "?"
    limiter.check(name, address)
    user = accounts().authenticate(name, password)
    if user is None:
        limiter.failed(name, address)
        # Whoever typed it is not signed in: the row names the account tried.
        services().audit.record(name[:64], "", "login.failed", name[:64],
                                {"path": request.path}, address)
    else:
        limiter.succeeded(name)
    return user


def _from_token(token):
    found = services().tokens.check(token)
    if found is None:
        found = services().tokens.to_wipe(token)
        if found is None:
            g.bad_credentials = "This device token is unknown or was revoked."
            return None
        if not may_push():                # revoked, not yet wiped: push only
            g.device_revoked = True
            return None
        g.device_revoked = True
    user = accounts().get(found[0])
    if user is None or not user.is_active:
        g.bad_credentials = "This account is deactivated."
        return None
    g.token_id, g.device = found[1], found[2]
    return user


@login_manager.request_loader
def _load_from_request(req):
    cred = req.authorization
    if cred is None:
        return None
    if cred.type == "bearer" and cred.token:
        return _from_token(cred.token)
    if cred.type != "basic":
        return None
    user = check_password(cred.username or "", cred.password or "")
    if user is None:
        g.bad_credentials = "Name or password is incorrect."
    return user


def init_app(app):
    """Install flask-login on ``app``."""
    login_manager.init_app(app)


def require_user():
    """The signed-in user.

    :raises Unauthorized: when nobody (or a wrong password) is signed in.
    """
    if current_user.is_authenticated:
        return current_user
    if g.get("device_revoked"):
        raise DeviceRevoked()
    if g.get("bad_credentials"):
        raise Unauthorized(g.bad_credentials)
    raise Unauthorized("Authentication required.")


def require_admin():
    """The signed-in admin. :raises Unauthorized, Forbidden:."""
    user = require_user()
    if not user.is_admin:
        raise Forbidden("You are not a server admin.")
    return user


def require_role(*roles):
    """The signed-in user if their role is one of ``roles`` (admins always).

    :raises Unauthorized, Forbidden:
    """
    user = require_user()
    if not user.is_admin and user.role not in roles:
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
    return user


def couch_roles(user):
    """The user's roles as CouchDB's ``userCtx`` names them."""
    return ["_admin"] if user.is_admin else [user.role]


def end_session():
    """Sign out; a session cookie (and every copy of it) stops working."""
    if current_user.is_authenticated and request.authorization is None:
        accounts().end_sessions(current_user.id)
    logout_user()
