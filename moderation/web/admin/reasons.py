"""Reject reasons: the list moderators choose from when rejecting."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from ...extensions import db
from ...models import RejectReason
from ..access import ADMINS, requires
from ..forms import EmptyForm
from . import bp


class ReasonForm(FlaskForm):
    label = StringField("Reason", validators=[DataRequired(), Length(max=200)])
    position = IntegerField("Order", default=0, validators=[NumberRange(-1000, 1000)])
    active = BooleanField("Offered", default=True)
    submit = SubmitField("Save")


def _label_taken(label: str, except_id: int | None = None) -> bool:
    query = sa.select(RejectReason.id).where(RejectReason.label == label)
    if except_id is not None:
        query = query.where(RejectReason.id != except_id)
    return db.session.scalar(query) is not None


@bp.route("/reject-reasons", methods=["GET", "POST"])
@requires(ADMINS)
def reasons():
    form = ReasonForm()
    if form.validate_on_submit():
        label = form.label.data.strip()
        if _label_taken(label):
            form.label.errors.append("That reason exists already.")
        else:
            db.session.add(
                RejectReason(label=label, position=form.position.data, active=form.active.data)
            )
            db.session.commit()
            flash(f"Reject reason {label!r} added.", "success")
            return redirect(url_for("admin.reasons"))
    rows = db.session.scalars(
        sa.select(RejectReason).order_by(RejectReason.position, RejectReason.label)
    ).all()
    return (
        render_template("admin/reasons.html", form=form, rows=rows, empty_form=EmptyForm()),
        400 if form.is_submitted() else 200,
    )


@bp.route("/reject-reasons/<id:reason_id>", methods=["POST"])
@requires(ADMINS)
def reason_update(reason_id: int):
    reason = db.get_or_404(RejectReason, reason_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Not saved: " + "; ".join(e for errs in form.errors.values() for e in errs), "error")
    elif _label_taken(form.label.data.strip(), except_id=reason.id):
        flash("Not saved: another reason has that label.", "error")
    else:
        reason.label = form.label.data.strip()
        reason.position = form.position.data
        reason.active = form.active.data
        db.session.commit()
        flash(f"Reject reason {reason.label!r} saved.", "success")
    return redirect(url_for("admin.reasons"))


@bp.route("/reject-reasons/<id:reason_id>/delete", methods=["POST"])
@requires(ADMINS)
def reason_delete(reason_id: int):
    reason = db.get_or_404(RejectReason, reason_id)
    if EmptyForm().validate_on_submit():
        # Decisions keep the reason's text, so deleting it loses no history.
        db.session.delete(reason)
        db.session.commit()
        flash(f"Reject reason {reason.label!r} deleted.", "success")
    return redirect(url_for("admin.reasons"))
