"""Downloads of the audit log for moderators and admins: CSV or JSON, streamed."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from ..decision_export import DecisionFilter, export_decisions
from ..extensions import db
from ..reports.context import current_context
from ..reports.filters import FilterError
from .access import DECIDERS, requires

bp = Blueprint("exports", __name__, url_prefix="/exports")

MIMETYPES = {"csv": "text/csv", "json": "application/json"}


@bp.route("/decisions.<any(csv, json):fmt>")
@requires(DECIDERS)
def decisions(fmt: str):
    """The decisions matching the query's since, until, action, moderator, article, site."""
    args = request.args
    try:
        wanted = DecisionFilter.from_strings(
            args.get("since"),
            args.get("until"),
            args.get("action"),
            args.get("moderator"),
            args.get("article"),
            args.get("site"),
        )
        pieces = export_decisions(db.session, wanted, fmt, current_context(db.session).zone)
    except FilterError as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    response = Response(stream_with_context(pieces), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="decisions.{fmt}"'
    return response
