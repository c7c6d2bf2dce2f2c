"""How an action answers: JSON for the page's script, else a flash message and a redirect."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request

from .. import decisions


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def undo_message(outcome: decisions.BulkOutcome) -> tuple[str, str, int]:
    undone = outcome.decisions
    if len(undone) == 1 and not outcome.conflicts:
        d = undone[0]
        return "success", f"Undone: comment #{d.comment_id} is {d.to_status} again.", 200
    message = f"Undone {len(undone)} decision{'s' if len(undone) != 1 else ''}."
    if outcome.conflicts:
        message += f" {len(outcome.conflicts)} left as they are: " + " ".join(
            c.message for c in outcome.conflicts[:3]
        )
        return "conflict", message, 200
    return "success", message, 200


def bulk_message(outcome: decisions.BulkOutcome, done_text: str) -> tuple[str, str]:
    """Category and message of a bulk decision: "12 comments rejected.", and the conflicts."""
    done = len(outcome.decisions)
    message = f"{done} comment{'s' if done != 1 else ''} {done_text}."
    if not outcome.conflicts:
        return "success", message
    message += f" {len(outcome.conflicts)} skipped: " + " ".join(
        c.message for c in outcome.conflicts[:3]
    )
    return "conflict", message


def respond(
    back: str,
    category: str,
    message: str,
    status: int,
    comment_id: int | None = None,
    comment_status: str | None = None,
    extra: dict | None = None,
):
    """JSON for the page's script; otherwise a flash message and a redirect back.
    ``extra`` goes into the JSON only."""
    if wants_json():
        body = {"ok": category == "success", "category": category, "message": message}
        if comment_id is not None:
            body["comment_id"] = comment_id
        if comment_status is not None:
            body["status"] = comment_status
        body.update(extra or {})
        return jsonify(body), status
    flash(message, category)
    return redirect(back)
