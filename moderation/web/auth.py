"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .. import accounts
from ..extensions import db
from .access import EVERYONE, Account, requires
from .forms import EmptyForm, safe_next

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=accounts.MAX_PASSWORD_LENGTH)]
    )
    submit = SubmitField("Sign in")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        result = accounts.sign_in(
            db.session, form.username.data, form.password.data, request.remote_addr or ""
        )
        if result.user is not None:
            session.clear()  # nothing from before signing in carries over
            secret = accounts.start_session(db.session, result.user)
            login_user(Account(result.user, secret))
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        if result.rate_limited:
            minutes = max(1, round(result.retry_after.total_seconds() / 60))
            flash(
                f"Too many failed sign-ins. Try again in about {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
                "error",
            )
            status = 429
        else:
            flash("Wrong username or password.", "error")
            status = 401
    elif form.is_submitted():
        if form.username.data and form.password.data:
            flash("Wrong username or password.", "error")  # too long to be anyone's
            status = 401
        else:
            flash("Enter your username and password.", "error")
            status = 400
    return render_template("auth/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@requires(EVERYONE)
def sign_out():
    if EmptyForm().validate_on_submit():
        # Server-side too: a copy of this browser's cookie is no good after this. The
        # account's other browsers stay signed in, unless asked to sign out everywhere.
        if request.form.get("everywhere"):
            accounts.end_sessions(db.session, current_user.user)
        else:
            accounts.end_session(db.session, current_user.session_secret)
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))
