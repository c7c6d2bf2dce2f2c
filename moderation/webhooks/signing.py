"""Webhook signatures as Standard Webhooks (standardwebhooks.com) defines them: pure functions.

A secret is ``whsec_`` and base64 of 32 random bytes; the signature is HMAC-SHA256, keyed
with those bytes, over ``"{webhook-id}.{webhook-timestamp}.{body}"``, sent as
``v1,<base64>``. Several signatures (the new and the previous secret after a rotation) go
in one header, separated by spaces; a receiver accepts the message if any one matches.
Written out rather than taken from the ``standardwebhooks`` package, which the tests use to
check these signatures independently.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300
"""How far a receiver lets Webhook-Timestamp be from its clock: older messages are replays."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``body`` sent as ``message_id`` at ``timestamp``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(
    secrets_in_force: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """The Webhook-Signature header: one signature per secret, space-separated."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_force)


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> bool:
    """Whether ``body`` with these headers was signed with ``secret`` within the tolerance:
    what a receiver does (the README shows the same in a few lines)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    if not message_id or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, message_id, int(timestamp), body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in lowered.get("webhook-signature", "").split(" ")
    )
