"""The queue page, and the decision, bulk and undo actions posted from it.

Every action is a plain form that works without JavaScript (POST, then a
redirect back to the view it came from). ``static/queue.js`` posts the same
forms with ``Accept: application/json`` to skip the page reload.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from .. import decisions
from .. import queue as queue_queries
from ..extensions import db
from ..models import Article, RejectReason
from .access import DECIDERS, EVERYONE, requires
from .forms import choices, safe_next
from .responses import bulk_message, respond, undo_message

bp = Blueprint("queue", __name__)

PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "spam": "marked as spam",
    "escalate": "escalated",
}
NOTE_MAX = 2000
MAX_ID = 2**31 - 1
TARGET_PATTERN = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")


class DecisionForm(FlaskForm):
    """Approve, spam or escalate one comment, as of the version the moderator saw."""

    version = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(0, MAX_ID)]
    )
    next = HiddenField()
    submit = SubmitField()


class RejectForm(DecisionForm):
    reason = SelectField("Reason", choices=[], validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_MAX)])


class BulkForm(FlaskForm):
    action = SelectField("Decision", choices=list(PAST_TENSE), validators=[InputRequired()])
    scope = RadioField(
        "Apply to",
        choices=choices(
            [("selected", "Selected comments"), ("matching", "All matching this view")]
        ),
        default="selected",
    )
    view = HiddenField()
    """The query string of the view the action was taken from."""
    reason = SelectField("Reason", choices=[], validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    next = HiddenField()
    submit = SubmitField("Apply")


def reject_reasons() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(RejectReason.label)
            .where(RejectReason.active.is_(True))
            .order_by(RejectReason.position, RejectReason.label)
        )
    )


def reason_choices() -> list:
    reasons = reject_reasons()
    return choices([(label, label) for label in reasons] or [("", "No reason given")])


@bp.route("/queue")
@requires(EVERYONE)
def index():
    flag_codes = queue_queries.flag_codes(db.session)
    # A value the queue cannot use is named on the page (400, as the reports do), and the
    # page shows the view without it, which is also what its bulk form applies to.
    view, problems = queue_queries.QueueFilter.read(request.args, flags=flag_codes)
    cursor = queue_queries.Cursor.decode(request.args.get("after"))
    page = queue_queries.queue_page(
        db.session, view, cursor, limit=current_app.config["QUEUE_PAGE_SIZE"]
    )
    article = db.session.get(Article, view.article) if view.article else None
    html = render_template(
        "queue/index.html",
        view=view,
        problems=problems,
        page=page,
        cursor=cursor,
        counts=queue_queries.tab_counts(db.session, view),
        reasons=reject_reasons(),
        flag_codes=flag_codes,
        sentiments=queue_queries.SENTIMENT_LABELS,
        article=article,
        actions=PAST_TENSE,
        here=request.full_path,
    )
    return html, 400 if problems else 200


@bp.route("/queue/counts")
@requires(EVERYONE)
def counts():
    """The tab counts of a view, as JSON, for the page to refresh after a decision."""
    view, problems = queue_queries.QueueFilter.read(request.args)
    if problems:
        return jsonify({"error": " ".join(map(str, problems))}), 400
    return jsonify(
        {
            c.tab: {"count": c.count, "capped": c.capped, "text": str(c)}
            for c in queue_queries.tab_counts(db.session, view)
        }
    )


DECISION_URL = "/comments/<id:comment_id>/<any(approve, reject, spam, escalate):action>"


@bp.route(DECISION_URL, methods=["POST"])
@requires(DECIDERS)
def decide(comment_id: int, action: str):
    form = RejectForm() if action == "reject" else DecisionForm()
    if isinstance(form, RejectForm):
        form.reason.choices = reason_choices()
    back = safe_next(form.next.data, url_for("queue.index"))
    if not form.validate_on_submit():
        return respond(back, "error", _form_errors(form), 400)
    try:
        decisions.decide(
            db.session,
            comment_id,
            form.version.data,
            decisions.ACTIONS[action],
            current_user.user,
            reason=form.reason.data if isinstance(form, RejectForm) else None,
            note=form.note.data if isinstance(form, RejectForm) else None,
        )
    except decisions.Conflict as conflict:
        return respond(back, "conflict", conflict.message, 409, comment_id)
    except decisions.DecisionError as error:
        return respond(back, "error", str(error), 400, comment_id)
    message = f"Comment #{comment_id} {PAST_TENSE[action]}."
    return respond(back, "success", message, 200, comment_id, decisions.ACTIONS[action].value)


@bp.route("/queue/bulk", methods=["POST"])
@requires(DECIDERS)
def bulk():
    form = BulkForm()
    form.reason.choices = reason_choices()
    back = safe_next(form.next.data, url_for("queue.index"))
    if not form.validate_on_submit():
        return respond(back, "error", _form_errors(form), 400)
    limit = current_app.config["BULK_DECISION_LIMIT"]
    if form.scope.data == "matching":
        view, problems = queue_queries.QueueFilter.read(dict(parse_qsl(form.view.data or "")))
        if problems:  # never a wider set than the page showed
            message = "The view was not valid: " + " ".join(map(str, problems))
            return respond(back, "error", message, 400)
        targets = queue_queries.matching_targets(db.session, view, limit + 1)
    else:
        targets = _selected_targets(request.form.getlist("selected"))
    if not targets:
        return respond(back, "error", "Select at least one comment first.", 400)
    if len(targets) > limit:
        return respond(
            back,
            "error",
            f"That is more than {limit} comments; narrow the view and apply it in parts.",
            400,
        )
    action = form.action.data
    outcome = decisions.bulk_decide(
        db.session,
        targets,
        decisions.ACTIONS[action],
        current_user.user,
        reason=form.reason.data if action == "reject" else None,
        note=form.note.data if action == "reject" else None,
    )
    category, message = bulk_message(outcome, PAST_TENSE[action])
    return respond(back, category, message, 200)


@bp.route("/undo", methods=["POST"])
@requires(DECIDERS)
def undo_last():
    """Undo the signed-in moderator's last action (a whole bulk action at once)."""
    form = FlaskForm()
    back = safe_next(request.form.get("next"), url_for("queue.index"))
    if not form.validate_on_submit():
        return respond(back, "error", "The form was not valid.", 400)
    try:
        outcome = decisions.undo_last(db.session, current_user.user)
    except decisions.Conflict as conflict:
        return respond(back, "conflict", conflict.message, 409)
    except decisions.DecisionError as error:
        return respond(back, "error", str(error), 400)
    return respond(back, *undo_message(outcome))


def _selected_targets(values: list[str]) -> list[tuple[int, int]]:
    """Checkbox values ``"id:version"`` as pairs; malformed ones are ignored."""
    targets = []
    for value in values:
        match = TARGET_PATTERN.fullmatch(value)
        if match:
            targets.append((int(match[1]), int(match[2])))
    return list(dict.fromkeys(targets))


def _form_errors(form: FlaskForm) -> str:
    problems = [
        f"{getattr(form, name).label.text}: {'; '.join(errors)}"
        for name, errors in form.errors.items()
    ]
    return "The form was not valid. " + " ".join(problems)
