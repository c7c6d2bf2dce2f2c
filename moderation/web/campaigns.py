"""A campaign's page: the near copies of one text (moderation.campaigns), and one action
that rejects them or marks them spam together, through the race-safe bulk decision path."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from .. import decisions
from ..campaigns import campaign_comment_ids
from ..extensions import db
from ..models import Article, Comment, CommentScore, CommentSignature
from .access import DECIDERS, EVERYONE, requires
from .forms import choices, form_errors, safe_next, selected_targets
from .queue import NOTE_MAX, PAST_TENSE, reason_choices, reject_reasons
from .responses import bulk_message, respond

bp = Blueprint("campaigns", __name__)

CAMPAIGN_ACTIONS = ("reject", "spam")


class CampaignDecisionForm(FlaskForm):
    action = SelectField(
        "Decision",
        choices=choices([(a, PAST_TENSE[a]) for a in CAMPAIGN_ACTIONS]),
        validators=[InputRequired()],
    )
    reason = SelectField("Reason", choices=[], validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_MAX)])
    next = HiddenField()


def _number_or_404(number: int) -> int:
    """The campaign ``number`` names; a campaign merged into an older one is found by the
    comment whose id its number was."""
    if db.session.scalar(
        sa.select(CommentSignature.comment_id)
        .where(CommentSignature.campaign_id == number)
        .limit(1)
    ):
        return number
    merged_into = db.session.scalar(
        sa.select(CommentSignature.campaign_id).where(CommentSignature.comment_id == number)
    )
    if merged_into is None:
        abort(404)
    return merged_into


@bp.route("/campaigns/<id:number>")
@requires(EVERYONE)
def campaign(number: int):
    found = _number_or_404(number)
    if found != number:
        return redirect(url_for("campaigns.campaign", number=found))
    limit = current_app.config["BULK_DECISION_LIMIT"]
    ids = campaign_comment_ids(db.session, number)
    rows = db.session.execute(
        sa.select(Comment, Article.title, CommentScore)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(Comment.id.in_(ids[:limit]))
        .order_by(Comment.id)
    ).all()
    statuses: dict[str, int] = dict(
        db.session.execute(
            sa.select(Comment.status, sa.func.count())
            .join(CommentSignature, CommentSignature.comment_id == Comment.id)
            .where(CommentSignature.campaign_id == number)
            .group_by(Comment.status)
        ).all()
    )
    return render_template(
        "campaigns/campaign.html",
        number=number,
        total=len(ids),
        rows=rows,
        threads=len({comment.article_id for comment, _, _ in rows}),
        authors=len({comment.author_name for comment, _, _ in rows if comment.author_name}),
        statuses=statuses,
        reasons=reject_reasons(),
        here=request.full_path,
    )


@bp.route("/campaigns/<id:number>/decide", methods=["POST"])
@requires(DECIDERS)
def decide(number: int):
    """Decide the campaign's comments the moderator saw, at the versions they saw them."""
    form = CampaignDecisionForm()
    form.reason.choices = reason_choices()
    back = safe_next(form.next.data, url_for("campaigns.campaign", number=number))
    if not form.validate_on_submit():
        return respond(back, "error", form_errors(form), 400)
    members = set(campaign_comment_ids(db.session, number))
    # Only the campaign's comments: a forged list cannot reach beyond it.
    targets = [t for t in selected_targets(request.form.getlist("selected")) if t[0] in members]
    if not targets:
        return respond(back, "error", "This campaign has no comments left to decide.", 400)
    action = form.action.data
    outcome = decisions.bulk_decide(
        db.session,
        targets,
        decisions.ACTIONS[action],
        current_user.user,
        reason=form.reason.data if action == "reject" else None,
        note=form.note.data or None,
    )
    category, message = bulk_message(outcome, PAST_TENSE[action])
    return respond(back, category, f"Campaign #{number}: {message}", 200)
