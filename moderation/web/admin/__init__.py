"""Admin pages: accounts, watch-words, reject reasons, scoring settings, the decisions
report, importing from the browser, webhooks and the WordPress sync. Every view here is
for admins only."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..access import ADMINS, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires(ADMINS)
def index():
    return render_template("admin/index.html")


# The views register themselves on ``bp``.
from . import (  # noqa: E402, F401
    accounts,
    reasons,
    report,
    settings,
    tokens,
    upload,
    watchwords,
    webhooks,
    wordpress,
)
