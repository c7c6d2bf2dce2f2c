"""Forms shared by several pages, and the check that keeps redirects on this site."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class EmptyForm(FlaskForm):
    """A one-button form: only the CSRF token and the button (as in Miguel Grinberg's
    microblog); each action's URL says what it does."""

    submit = SubmitField("Submit")


class NextForm(EmptyForm):
    """A one-button form that returns to the page it was sent from."""

    next = HiddenField()


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``: never an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice.
    from wtforms import SelectChoice as _SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    _SelectChoice = None


def choices(pairs) -> list:
    """Select choices from ``(value, label)`` pairs, in the form this WTForms wants."""
    if _SelectChoice is None:
        return list(pairs)
    return [_SelectChoice(value, label) for value, label in pairs]


TARGET_PATTERN = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")


def selected_targets(values: list[str]) -> list[tuple[int, int]]:
    """Checkbox values ``"id:version"`` as pairs; malformed ones are ignored."""
    targets = []
    for value in values:
        match = TARGET_PATTERN.fullmatch(value)
        if match:
            targets.append((int(match[1]), int(match[2])))
    return list(dict.fromkeys(targets))


def form_errors(form: FlaskForm) -> str:
    problems = [
        f"{getattr(form, name).label.text}: {'; '.join(errors)}"
        for name, errors in form.errors.items()
    ]
    return "The form was not valid. " + " ".join(problems)
