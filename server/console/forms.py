"""The console's forms (Flask-WTF): each carries a CSRF token, and a post
without a valid one is refused before any view runs (see ``__init__``)."""

from flask_wtf import FlaskForm
from wtforms import (HiddenField, PasswordField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from server.accounts.users import PASSWORD_MIN, ROLES
from rules.schemas.request import REFERRAL_STATUSES, SATISFACTION, STATUSES
from rules.schemas.notice import PRIORITIES
from rules.schemas.review import STATES

PASSWORD_RULE = Length(PASSWORD_MIN, 256, message=f"至少 {PASSWORD_MIN} 个字符 / at least "
                                                   f"{PASSWORD_MIN} characters")
ID_RULE = Regexp(r"[A-Za-z0-9_-]{1,64}\Z", message="1–64 letters, digits, '_' or '-'")


class LoginForm(FlaskForm):
    """Name and password."""

    name = StringField(validators=[DataRequired(), Length(1, 64)])
    password = PasswordField(validators=[DataRequired(), Length(1, 256)])
    next = HiddenField()


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (accept, revoke, sign out...)."""


class ReviewForm(FlaskForm):
    """A verdict on one visit; a comment is required to send it back or reject it."""

    state = RadioField(choices=list(STATES), validators=[DataRequired()])
    comment = TextAreaField(validators=[Optional(), Length(max=1000)])

    def validate(self, extra_validators=None):
        """The fields' rules, then: no verdict against the worker without a comment."""
        valid = super().validate(extra_validators)
        if self.state.data in ("needs_fix", "rejected") and not (self.comment.data or "").strip():
            self.comment.errors = [*self.comment.errors, "comment required"]
            valid = False
        return valid


class RequestStatusForm(FlaskForm):
    """Move a request (or referral) along its lifecycle, optionally
    (re)assigning it; on closing, the resident's satisfaction."""

    status = SelectField(choices=list(dict.fromkeys(STATUSES + REFERRAL_STATUSES)),
                         validators=[DataRequired()])
    assignee = StringField(validators=[Optional(), Length(1, 64)])
    satisfaction = SelectField(choices=["", *SATISFACTION], validators=[Optional()])
    satisfaction_comment = TextAreaField(validators=[Optional(), Length(max=500)])


class UserForm(FlaskForm):
    """A new account."""

    name = StringField(validators=[DataRequired(), Length(1, 64)])
    display_name = StringField(validators=[Optional(), Length(0, 64)])
    role = SelectField(choices=list(ROLES), validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired(), PASSWORD_RULE])


class PasswordForm(FlaskForm):
    """A new password for an account."""

    password = PasswordField(validators=[DataRequired(), PASSWORD_RULE])


class PlaceForm(FlaskForm):
    """A street, community or grid (created, or renamed when the id exists)."""

    kind = SelectField(choices=["street", "community", "grid"], validators=[DataRequired()])
    id = StringField(validators=[DataRequired(), ID_RULE])
    name = StringField(validators=[DataRequired(), Length(1, 64)])
    parent = StringField(validators=[Optional(), ID_RULE])


class AssignForm(FlaskForm):
    """Give or take away a grid (workers) or a community (supervisors, hub)."""

    user = StringField(validators=[DataRequired(), Length(1, 64)])
    place = StringField(validators=[DataRequired(), ID_RULE])
    kind = SelectField(choices=["grid", "community"])
    remove = HiddenField()


class NoticeForm(FlaskForm):
    """A notice: title, text, priority, audience (``grid:ID``,
    ``community:ID`` or ``everyone``) and an optional expiry."""

    title = StringField(validators=[DataRequired(), Length(1, 100)])
    body = TextAreaField(validators=[DataRequired(), Length(1, 2000)])
    priority = RadioField(choices=list(PRIORITIES), validators=[DataRequired()])
    audience = StringField(validators=[DataRequired(), Length(1, 80)])
    expires_at = StringField(validators=[Optional(), Length(max=40)])


class RulesForm(FlaskForm):
    """The early-warning rule list as JSON, and the version it was edited from."""

    rules = TextAreaField(validators=[DataRequired(), Length(max=200_000)])
    version = HiddenField()
