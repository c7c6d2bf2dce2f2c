"""Scoring settings: thresholds and weights admins change in the browser, and rescoring.

The settings live in the Setting table through :mod:`moderation.settings`;
changing them changes the scoring configuration's hash, which makes every score
computed under the old one stale; saving asks the background worker to rescore
(:mod:`moderation.jobs`), and so does "Rescore now".
"""

from __future__ import annotations

import dataclasses
import math

from flask import current_app, flash, redirect, render_template, request, url_for

from ... import jobs
from ...extensions import db
from ...settings import current_scoring_config, update_scoring_settings
from ..access import ADMINS, requires
from ..forms import EmptyForm
from . import bp


def _numeric_settings(config, prefix: str = "") -> list[tuple[str, float | int]]:
    """Every number in the (nested) configuration dataclass, as ``(dotted.name, value)``."""
    found = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        name = prefix + field.name
        if dataclasses.is_dataclass(value):
            found += _numeric_settings(value, name + ".")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            found.append((name, value))
    return found


def _nested(dotted: dict[str, float | int]) -> dict:
    """``{"flags.max_links": 3}`` as ``{"flags": {"max_links": 3}}``, the stored shape."""
    nested: dict = {}
    for name, value in dotted.items():
        *parents, leaf = name.split(".")
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[leaf] = value
    return nested


@bp.route("/settings", methods=["GET", "POST"])
@requires(ADMINS)
def settings():
    form = EmptyForm()
    values = _numeric_settings(current_scoring_config(db.session))
    if not form.validate_on_submit():
        return render_template("admin/settings.html", values=values, errors={}, form=form)

    changes, errors = _read_changes(values)
    refusal = None
    if not errors and changes:
        try:
            update_scoring_settings(db.session, _nested(changes))
        except ValueError as error:
            refusal = f"Not saved: {error}"
        else:
            jobs.request(current_app._get_current_object(), "score")
            flash(
                f"Saved {len(changes)} setting{'s' if len(changes) != 1 else ''}; "
                "comments are rescored in the background.",
                "success",
            )
            return redirect(url_for("admin.settings"))
    elif not errors:
        flash("Nothing changed.", "info")
        return redirect(url_for("admin.settings"))
    submitted = [(name, request.form.get(name, "")) for name, _ in values]
    return render_template(
        "admin/settings.html", values=submitted, errors=errors, refusal=refusal, form=form
    ), 400


def _read_changes(values: list[tuple[str, float | int]]) -> tuple[dict, dict[str, str]]:
    """The submitted values that differ from the current ones, and what was unreadable."""
    changes, errors = {}, {}
    for name, old in values:
        raw = request.form.get(name, "").strip()
        try:
            number = float(raw)
        except ValueError:
            errors[name] = "not a number"
            continue
        if not math.isfinite(number):
            errors[name] = "not a finite number"
        elif isinstance(old, int) and not number.is_integer():
            errors[name] = "must be a whole number"
        elif number != old:
            changes[name] = int(number) if isinstance(old, int) else number
    return changes, errors


@bp.route("/settings/rescore", methods=["POST"])
@requires(ADMINS)
def rescore():
    if EmptyForm().validate_on_submit():
        jobs.request(current_app._get_current_object(), "score")
        flash("Rescoring in the background: stale comments are rescored in a moment.", "success")
    return redirect(url_for("admin.settings"))
