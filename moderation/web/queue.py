"""The queue page, and the decision, bulk and undo actions posted from it.

Every action is a plain form that works without JavaScript (POST, then a
redirect back to the view it came from). ``static/queue.js`` posts the same
forms with ``Accept: application/json`` to skip the page reload.
"""

from __future__ import annotations

import functools
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
from ..author_rules import rules_for
from ..extensions import db
from ..models import Article, Comment, CommentScore, RejectReason
from ..scoring.sentiment import driving_sentence
from .access import DECIDERS, EVERYONE, requires
from .forms import choices, form_errors, safe_next, selected_targets
from .responses import bulk_message, respond, undo_message, wants_json

bp = Blueprint("queue", __name__)

PAST_TENSE = {
    "approve": "approved",
    "reject": "rejected",
    "spam": "marked as spam",
    "escalate": "escalated",
}
CONFIRM_VERB = {
    "approve": "Approve {}?",
    "reject": "Reject {}?",
    "spam": "Mark {} as spam?",
    "escalate": "Escalate {}?",
}
NOTE_MAX = 2000
MAX_ID = 2**31 - 1
BULK_ID_URL = "/queue/bulk/<string(length=32):bulk_id>/undo"


BUTTONS = (("approve", "Approve"), ("spam", "Spam"), ("escalate", "Escalate"))
"""The decisions with a button of their own (reject has a form: its reason, its note)."""


@functools.cache
def decision_buttons(status: str) -> tuple[tuple[str, str], ...]:
    """``(action, label)`` of the buttons a comment with this status shows: all but the
    decision that would leave it as it is."""
    return tuple(
        (action, label) for action, label in BUTTONS if decisions.ACTIONS[action] != status
    )


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
    confirmed = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(0, MAX_ID)])
    """For "all matching": the exact count the moderator was shown and confirmed."""
    next = HiddenField()
    submit = SubmitField("Apply")


ACTIVE_REASONS = (
    sa.select(RejectReason.label)
    .where(RejectReason.active.is_(True))
    .order_by(RejectReason.position, RejectReason.label)
)
"""Built once: every queue page and decision asks it."""


def reject_reasons() -> list[str]:
    return list(db.session.scalars(ACTIVE_REASONS))


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
    page = queue_queries.queue_row_page(
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
        last_bulk=(
            decisions.last_bulk(db.session, current_user.user)
            if current_user.user.role in DECIDERS
            else None
        ),
        here=request.full_path,
    )
    return html, 400 if problems else 200


@bp.route("/queue/rows/<id:comment_id>/details")
@requires(EVERYONE)
def row_details(comment_id: int):
    """What an opened queue row shows besides the text and the buttons: the comment it
    replies to, its scores and why, its author, article and history. An HTML fragment,
    which the page's script fetches when the row is first opened (the page itself stays
    light); without a script, the row links to the comment's page, which shows it all."""
    comment = db.get_or_404(Comment, comment_id)
    score = db.session.get(CommentScore, comment_id)
    return render_template(
        "queue/row_details.html",
        comment=comment,
        article=db.session.get(Article, comment.article_id),
        score=score,
        driver=driving_sentence(comment.body, score.sentiment_label) if score else None,
        author_rule=rules_for(db.session, [comment.author_name]).get(comment.author_name),
    )


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
        return respond(back, "error", form_errors(form), 400)
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
        # The page's script shows the row as it is now: its status, who decided, its version.
        now = {"decided_by": conflict.decided_by, "version": conflict.version}
        return respond(back, "conflict", conflict.message, 409, comment_id, conflict.status, now)
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
        return respond(back, "error", form_errors(form), 400)
    limit = current_app.config["BULK_DECISION_LIMIT"]
    action = form.action.data
    reason = form.reason.data if action == "reject" else None
    note = form.note.data if action == "reject" else None
    if form.scope.data == "matching":
        view, problems = queue_queries.QueueFilter.read(dict(parse_qsl(form.view.data or "")))
        if problems:  # never a wider set than the page showed
            message = "The view was not valid: " + " ".join(map(str, problems))
            return respond(back, "error", message, 400)
        try:
            outcome = decisions.bulk_decide_matching(
                db.session, view, form.confirmed.data, decisions.ACTIONS[action],
                current_user.user, limit, reason=reason, note=note,
            )  # fmt: skip
        except decisions.CountChanged as changed:
            return _confirm_bulk(form, changed, back)
        except decisions.DecisionError as error:
            return respond(back, "error", str(error), 400)
    else:
        targets = selected_targets(request.form.getlist("selected"))
        if not targets:
            return respond(back, "error", "Select at least one comment first.", 400)
        if len(targets) > limit:
            return respond(back, "error", str(decisions.TooMany(len(targets), limit)), 400)
        outcome = decisions.bulk_decide(
            db.session, targets, decisions.ACTIONS[action], current_user.user,
            reason=reason, note=note,
        )  # fmt: skip
    category, message = bulk_message(outcome, PAST_TENSE[action])
    return respond(back, category, message, 200)


def _confirm_bulk(form: BulkForm, changed: decisions.CountChanged, back: str):
    """Ask before deciding "all matching": the exact count, named ("Reject 184 comments?").
    JSON for the page's script (which asks in a dialog); else a page asking the same."""
    count = changed.count
    question = CONFIRM_VERB[form.action.data].format(f"{count} comment{'s' if count != 1 else ''}")
    button = question.rstrip("?")
    if changed.confirmed is not None:  # the view changed since it was confirmed
        question = f"{changed} {question}"
    if wants_json():
        body = {"ok": False, "category": "confirm", "message": question, "count": count,
                "button": button}  # fmt: skip
        return jsonify(body), 409 if changed.confirmed is not None else 200
    return render_template("queue/confirm_bulk.html", form=form, question=question,
                           button=button, count=count, back=back)  # fmt: skip


@bp.route(BULK_ID_URL, methods=["POST"])
@requires(DECIDERS)
def undo_bulk(bulk_id: str):
    """Undo one whole bulk action: each of its decisions still in force."""
    form = FlaskForm()
    back = safe_next(request.form.get("next"), url_for("queue.index"))
    if not form.validate_on_submit():
        return respond(back, "error", "The form was not valid.", 400)
    try:
        outcome = decisions.undo_bulk(db.session, bulk_id, current_user.user)
    except decisions.DecisionError as error:
        return respond(back, "error", str(error), 400)
    return respond(back, *undo_message(outcome))


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
