"""Import from the browser: the same import and summary as ``moderation import``,
then the new comments are scored by the background worker (:mod:`moderation.jobs`):
the request does not wait for it, and the queue shows them in order once scored.

The upload size is capped by MAX_CONTENT_LENGTH (413 beyond it, on the Content-Length,
before the body is read: see ``refuse_large_bodies`` in :mod:`moderation.web`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from ... import jobs
from ...extensions import db
from ...import_summary import SUMMARY_COLUMNS, problem_lines, summary_rows
from ...importers import format_names, get_format
from ...ingest import import_stream
from ...models import ImportBatch
from ..access import ADMINS, requires
from ..forms import choices
from . import bp


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired()])
    format = SelectField("Format", default="")
    site = StringField("Site", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Import")


@bp.route("/import", methods=["GET", "POST"])
@requires(ADMINS)
def upload():
    form = UploadForm()
    form.format.choices = choices([("", "detect from the file")] + [(n, n) for n in format_names()])
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template(
            "admin/upload.html", form=form, limit=_limit_mb(), imports=recent_imports()
        ), status
    upload = form.file.data
    filename = (upload.filename or "upload").replace("\x00", "")[:200]
    outcome = import_stream(
        db.session,
        upload.stream,
        f"upload:{filename}",
        format=get_format(form.format.data) if form.format.data else None,
        default_site=form.site.data or current_app.config["DEFAULT_SITE"],
        chunk_size=current_app.config["IMPORT_CHUNK_SIZE"],
    )
    if outcome.succeeded:
        jobs.request(current_app._get_current_object(), "score")
    return render_template(
        "admin/upload_result.html",
        header=[title for title, _ in SUMMARY_COLUMNS],
        rows=summary_rows([outcome]),
        problems=problem_lines([outcome]),
        outcome=outcome,
        scoring="queued: the new comments reach the queue's order as they are scored."
        if outcome.succeeded
        else None,
    ), (200 if outcome.succeeded else 422)


RECENT_IMPORTS = 20


def recent_imports() -> list[ImportBatch]:
    """The latest imports, running ones with their progress (see moderation.ingest)."""
    return list(
        db.session.scalars(
            sa.select(ImportBatch).order_by(ImportBatch.id.desc()).limit(RECENT_IMPORTS)
        )
    )


def _limit_mb() -> str:
    return f"{(current_app.config.get('MAX_CONTENT_LENGTH') or 0) / (1024 * 1024):g}"
