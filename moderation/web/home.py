"""The landing page: moderators go straight to the queue; analysts get an overview."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from .. import queue
from ..extensions import db
from .access import DECIDERS, EVERYONE, requires

bp = Blueprint("home", __name__)


@bp.route("/")
@requires(EVERYONE)
def index():
    if current_user.role in DECIDERS:
        return redirect(url_for("queue.index"))
    return redirect(url_for("home.overview"))


@bp.route("/overview")
@requires(EVERYONE)
def overview():
    counts = queue.tab_counts(db.session, queue.QueueFilter())
    return render_template("home.html", counts=counts)
