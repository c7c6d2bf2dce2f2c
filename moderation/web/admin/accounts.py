"""Accounts: create them, change roles, deactivate, reset passwords, sign out everywhere."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ... import accounts
from ...extensions import db
from ...models import Role, User
from ...system_account import NO_PERSON_ROLES
from ..access import ADMINS, requires
from ..forms import EmptyForm, choices
from . import bp

ROLE_CHOICES = [(role.value, role.value) for role in Role]


class NewAccountForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    role = SelectField("Role", choices=choices(ROLE_CHOICES), default=Role.MODERATOR.value)
    password = PasswordField(
        "Password", description="Leave empty to generate one.", validators=[Optional()]
    )
    submit = SubmitField("Create account")


class AccountForm(FlaskForm):
    role = SelectField("Role", choices=choices(ROLE_CHOICES))
    active = BooleanField("Active")
    submit = SubmitField("Save")


def _user_or_404(user_id: int) -> User:
    """A person's account: the tool's own (automatic decisions, API tokens) are not
    for admins to edit."""
    user = db.get_or_404(User, user_id)
    if user.role in NO_PERSON_ROLES:
        abort(404)
    return user


def _render(form: NewAccountForm, generated: tuple[str, str] | None = None, status: int = 200):
    users = db.session.scalars(
        sa.select(User).where(User.role.not_in(NO_PERSON_ROLES)).order_by(User.username)
    ).all()
    return (
        render_template(
            "admin/accounts.html",
            form=form,
            users=users,
            generated=generated,
            role_choices=ROLE_CHOICES,
            empty_form=EmptyForm(),
        ),
        status,
    )


@bp.route("/accounts", methods=["GET", "POST"])
@requires(ADMINS)
def accounts_page():
    form = NewAccountForm()
    if not form.validate_on_submit():
        return _render(form, status=400 if form.is_submitted() else 200)
    password = form.password.data or accounts.generate_password()
    try:
        user = accounts.create_user(db.session, form.username.data, form.role.data, password)
    except accounts.AccountError as error:
        form.username.errors.append(str(error))
        return _render(form, status=400)
    flash(f"Account {user.username} ({user.role}) created.", "success")
    # A generated password is shown once, on this response only, never stored in plain.
    generated = (user.username, password) if not form.password.data else None
    return _render(NewAccountForm(formdata=None), generated)


@bp.route("/accounts/<id:user_id>", methods=["POST"])
@requires(ADMINS)
def account_update(user_id: int):
    user = _user_or_404(user_id)
    form = AccountForm()
    if form.validate_on_submit():
        losing_admin = user.role == Role.ADMIN and (
            form.role.data != Role.ADMIN or not form.active.data
        )
        if losing_admin and user.id == current_user.id:
            flash("You cannot remove your own admin rights or deactivate yourself.", "error")
        elif losing_admin and user.active and accounts.count_admins(db.session) <= 1:
            flash("There must be at least one active admin.", "error")
        else:
            role_changed = user.role != form.role.data
            user.role = form.role.data
            user.active = form.active.data
            db.session.commit()
            if role_changed:  # sessions opened under the old role end
                accounts.end_sessions(db.session, user)
            state = "active" if user.active else "deactivated"
            flash(f"Account {user.username} is now {user.role}, {state}.", "success")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/accounts/<id:user_id>/password", methods=["POST"])
@requires(ADMINS)
def account_password(user_id: int):
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.accounts_page"))
    password = accounts.generate_password()
    accounts.set_password(db.session, user, password)
    flash(f"New password for {user.username}; their other sessions are signed out.", "success")
    return _render(NewAccountForm(formdata=None), (user.username, password))


@bp.route("/accounts/<id:user_id>/sign-out", methods=["POST"])
@requires(ADMINS)
def account_sign_out(user_id: int):
    user = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        accounts.end_sessions(db.session, user)
        flash(f"{user.username} is signed out everywhere.", "success")
    return redirect(url_for("admin.accounts_page"))
