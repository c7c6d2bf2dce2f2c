"""API tokens: create them (the secret is shown once), see when each was last used, revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ... import api_tokens
from ...extensions import db
from ...models import ApiToken
from ..access import ADMINS, requires
from ..forms import EmptyForm, choices
from . import bp


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=60)])
    scopes = SelectMultipleField(
        "Scopes",
        choices=choices([(scope, scope) for scope in api_tokens.SCOPES]),
        default=["read"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("Create token")


def _render(form: TokenForm, created: tuple[str, str] | None = None, status: int = 200):
    return (
        render_template(
            "admin/tokens.html",
            form=form,
            tokens=api_tokens.list_tokens(db.session),
            created=created,
            empty_form=EmptyForm(),
        ),
        status,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@requires(ADMINS)
def tokens():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render(form, status=400 if form.is_submitted() else 200)
    try:
        token, secret = api_tokens.create_token(
            db.session, form.name.data, form.scopes.data or [], current_user.user
        )
    except api_tokens.TokenError as error:
        form.name.errors.append(str(error))
        return _render(form, status=400)
    # Shown on this answer only, never redirected to: it is not stored anywhere.
    return _render(TokenForm(formdata=None), created=(token.name, secret))


@bp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@requires(ADMINS)
def token_revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if EmptyForm().validate_on_submit() and api_tokens.revoke_token(db.session, token):
        flash(f"Token {token.name!r} revoked: requests with it are refused now.", "success")
    return redirect(url_for("admin.tokens"))
