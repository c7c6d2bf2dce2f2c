"""The WordPress sites synced with ``moderation sync wordpress``, and the decisions a push
held back because the comment had changed on the site (conflicts)."""

from __future__ import annotations

from flask import render_template

from ...extensions import db
from ...wordpress_sync import open_conflicts, synced_sites
from ..access import ADMINS, requires
from . import bp


@bp.route("/wordpress")
@requires(ADMINS)
def wordpress():
    return render_template(
        "admin/wordpress.html",
        sites=synced_sites(db.session),
        conflicts=open_conflicts(db.session),
    )
