"""An author's page: every comment they wrote, across articles, and how they were judged;
the rule in force for them and notes on them, with the forms that change them
(the rules themselves live in :mod:`moderation.author_rules`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from .. import author_rules
from ..extensions import db
from ..models import Article, Comment, CommentScore, Decision, ModerationStatus, User
from ..running_imports import visible_comments
from .access import DECIDERS, EVERYONE, requires
from .responses import respond

bp = Blueprint("authors", __name__)

MAX_COMMENTS_SHOWN = 200


class RuleForm(FlaskForm):
    """Set one rule (``rule`` empty: clear it), as of the rule the moderator saw."""

    rule = HiddenField(validators=[AnyOf(["", *author_rules.RULES])])
    current = HiddenField(validators=[AnyOf(["", *author_rules.RULES])])
    reject_pending = BooleanField("Also reject their pending comments now")
    submit = SubmitField()


class NoteForm(FlaskForm):
    body = TextAreaField("Note", validators=[DataRequired(), Length(max=author_rules.NOTE_MAX)])
    submit = SubmitField("Add note")


def author_name_or_404() -> str:
    """``?name=...``: in the query string, so any name (even an empty one) has a URL; 404
    unless someone of that name wrote a comment."""
    name = request.args.get("name")
    if name is None or "\x00" in name:
        abort(404)
    if not db.session.scalar(sa.select(sa.exists().where(*author_comments(name)))):
        abort(404)
    return name


def author_comments(name: str) -> list[sa.ColumnElement[bool]]:
    """The author's comments, but those of imports still running (hidden everywhere)."""
    return [Comment.author_name == name, *visible_comments(db.session)]


@bp.route("/author")
@requires(EVERYONE)
def author():
    name = author_name_or_404()
    by_author = sa.and_(*author_comments(name))
    total = db.session.scalar(sa.select(sa.func.count()).where(by_author))
    averages = db.session.execute(
        sa.select(sa.func.avg(CommentScore.compound), sa.func.avg(CommentScore.drift))
        .join(Comment, Comment.id == CommentScore.comment_id)
        .where(by_author)
    ).one()
    statuses = dict(
        db.session.execute(
            sa.select(Comment.status, sa.func.count()).where(by_author).group_by(Comment.status)
        ).all()
    )
    decided = sum(
        statuses.get(s, 0)
        for s in (ModerationStatus.APPROVED, ModerationStatus.REJECTED, ModerationStatus.SPAM)
    )
    refused = statuses.get(ModerationStatus.REJECTED, 0) + statuses.get(ModerationStatus.SPAM, 0)
    comments = db.session.execute(
        sa.select(Comment, Article.title, CommentScore)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(by_author)
        .order_by(Comment.posted_at.desc().nulls_last(), Comment.id.desc())
        .limit(MAX_COMMENTS_SHOWN)
    ).all()
    history = db.session.execute(
        sa.select(Decision, User.username)
        .join(User, User.id == Decision.moderator_id)
        .join(Comment, Comment.id == Decision.comment_id)
        .where(by_author)
        .order_by(Decision.id.desc())
        .limit(MAX_COMMENTS_SHOWN)
    ).all()
    return render_template(
        "authors/author.html",
        name=name,
        total=total,
        articles=db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Comment.article_id))).where(by_author)
        ),
        mean_compound=averages[0],
        mean_drift=averages[1],
        statuses=statuses,
        decided=decided,
        rejection_rate=(refused / decided) if decided else None,
        comments=comments,
        history=history,
        shown=MAX_COMMENTS_SHOWN,
        **_rules_and_notes(name),
    )


def _rules_and_notes(name: str) -> dict:
    rule = author_rules.rule_of(db.session, name)
    return {
        "rule": rule,
        "rule_set_by": db.session.get(User, rule.set_by_id).username if rule else None,
        "rules": author_rules.RULES,
        "rule_history": author_rules.rule_history(db.session, name),
        "notes": author_rules.notes_on(db.session, name),
        "pending": author_rules.count_pending(db.session, name),
        "trust_after": author_rules.trust_threshold(),
        "approved_by_moderators": author_rules.approved_by_moderators(db.session, [name]).get(
            name, 0
        ),
        "note_max": author_rules.NOTE_MAX,
    }


RULE_DONE = {
    author_rules.BAN: "banned: their comments imported from now on are rejected automatically",
    author_rules.PREMODERATE: "always premoderated: none of their comments is approved "
    "without a moderator",
    author_rules.TRUST: "trusted: their new comments are approved automatically once "
    "moderators have approved enough of them",
}


@bp.route("/author/rule", methods=["POST"])
@requires(DECIDERS)
def change_rule():
    name = author_name_or_404()
    back = url_for("authors.author", name=name)
    form = RuleForm()
    if not form.validate_on_submit():
        return respond(back, "error", "The form was not valid; reload the page.", 400)
    rule = form.rule.data or None
    moderator = current_user.user
    try:
        author_rules.change_rule(
            db.session, name, rule, moderator, expected=form.current.data or None
        )
    except author_rules.RuleConflict as conflict:
        db.session.rollback()
        return respond(back, "conflict", conflict.message, 409)
    except author_rules.RuleError as error:
        db.session.rollback()
        return respond(back, "error", str(error), 400)
    except sa.exc.IntegrityError:  # another moderator set a rule at the same moment
        db.session.rollback()
        message = "Someone else set a rule for this author at the same time; reload the page."
        return respond(back, "conflict", message, 409)
    message = f"Author {RULE_DONE[rule]}." if rule else "Rule cleared."
    if rule == author_rules.BAN and form.reject_pending.data:
        limit = current_app.config["BULK_DECISION_LIMIT"]
        outcome = author_rules.reject_pending(db.session, name, moderator, limit)  # commits
        done = len(outcome.decisions)
        message += f" {done} pending comment{'s' if done != 1 else ''} rejected"
        message += " (one bulk action: Undo last undoes it)." if done else "."
        if outcome.conflicts:
            message += f" {len(outcome.conflicts)} changed meanwhile and were left as they are."
        if author_rules.count_pending(db.session, name):
            message += f" More than {limit} were pending: reject the rest from the queue."
    else:
        db.session.commit()
    return respond(back, "success", message, 200)


@bp.route("/author/notes", methods=["POST"])
@requires(DECIDERS)
def add_note():
    name = author_name_or_404()
    back = url_for("authors.author", name=name)
    form = NoteForm()
    if not form.validate_on_submit():
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        return respond(back, "error", f"The note was not added: {problems}", 400)
    try:
        author_rules.add_note(db.session, name, form.body.data, current_user.user)
    except author_rules.RuleError as error:
        return respond(back, "error", f"The note was not added: {error}", 400)
    return respond(back, "success", "Note added.", 200)
