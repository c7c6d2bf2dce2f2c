"""Watch-words: the words, phrases and patterns that flag, hold or reject a comment.

Scores depend on the list through the scoring configuration's hash, so a change
here makes the affected scores stale, and asks the background worker to redo them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ... import jobs
from ...extensions import db
from ...models import WatchWordEntry
from ...scoring.watchwords import WatchWord, compile_watchwords
from ..access import ADMINS, requires
from ..forms import EmptyForm, choices
from . import bp


class WatchWordForm(FlaskForm):
    phrase = StringField("Word, phrase or pattern", validators=[DataRequired(), Length(max=200)])
    match = SelectField(
        "Match",
        choices=choices([("word", "whole word or phrase"), ("pattern", "regular expression")]),
    )
    action = SelectField(
        "Action",
        choices=choices(
            [("flag", "flag for attention"), ("hold", "hold for review"), ("reject", "reject")]
        ),
    )
    submit = SubmitField("Add")

    def validate_phrase(self, field) -> None:
        try:
            compile_watchwords(
                [WatchWord(phrase=field.data, match=self.match.data, action=self.action.data)]
            )
        except ValueError as error:
            raise ValidationError(str(error).split(": ", 1)[-1]) from None
        # Words match regardless of case, so "Idiot" is "idiot"; one entry each, one action.
        same = sa.func.lower(WatchWordEntry.phrase) == field.data.strip().lower()
        existing = db.session.scalar(
            sa.select(WatchWordEntry).where(same, WatchWordEntry.match == self.match.data)
        )
        if existing is not None:
            raise ValidationError(
                f"{existing.phrase!r} is on the list already ({existing.action}); "
                "remove it first to change its action"
            )


@bp.route("/watch-words", methods=["GET", "POST"])
@requires(ADMINS)
def watch_words():
    form = WatchWordForm()
    if form.validate_on_submit():
        db.session.add(
            WatchWordEntry(
                phrase=form.phrase.data.strip(), match=form.match.data, action=form.action.data
            )
        )
        db.session.commit()
        jobs.request(current_app._get_current_object(), "score")
        flash(f"Watch-word {form.phrase.data.strip()!r} added; comments are rescored.", "success")
        return redirect(url_for("admin.watch_words"))
    entries = db.session.scalars(sa.select(WatchWordEntry).order_by(WatchWordEntry.phrase)).all()
    return (
        render_template(
            "admin/watch_words.html", form=form, entries=entries, empty_form=EmptyForm()
        ),
        400 if form.is_submitted() else 200,
    )


@bp.route("/watch-words/<id:entry_id>/delete", methods=["POST"])
@requires(ADMINS)
def watch_word_delete(entry_id: int):
    entry = db.get_or_404(WatchWordEntry, entry_id)
    if EmptyForm().validate_on_submit():
        db.session.delete(entry)
        db.session.commit()
        jobs.request(current_app._get_current_object(), "score")
        flash(f"Watch-word {entry.phrase!r} removed; comments are rescored.", "success")
    return redirect(url_for("admin.watch_words"))
