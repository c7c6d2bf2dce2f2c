"""``moderation serve --https-proxy`` on real servers (waitress and gunicorn): the client
address the trusted proxy forwards reaches the sign-in rate limit; nobody else's does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from live_server import failed_sign_in, serving_with

from moderation.accounts import MAX_FAILURES_PER_ADDRESS
from moderation.extensions import db
from moderation.models import SignInFailure, utcnow

LOCKED_OUT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.9"


def _lock_out(address):
    now = utcnow()
    db.session.add_all(
        SignInFailure(username=f"guess{n}", address=address, created_at=now)
        for n in range(MAX_FAILURES_PER_ADDRESS)
    )
    db.session.commit()


def _recorded_addresses():
    db.session.expire_all()
    query = sa.select(SignInFailure.address).where(SignInFailure.username == "nobody")
    return set(db.session.scalars(query))


def _forwarded_from(address):
    return {
        "X-Forwarded-For": address,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "moderation.example",
    }


@pytest.fixture(params=["waitress", "gunicorn"])
def server(request):
    return request.param


def test_clients_behind_the_trusted_proxy_are_throttled_each_by_their_own_address(app, server):
    _lock_out(LOCKED_OUT)
    with serving_with(server, app, proxy_address="127.0.0.1") as port:
        assert failed_sign_in(port, _forwarded_from(LOCKED_OUT)) == 429
        assert failed_sign_in(port, _forwarded_from(OTHER_CLIENT)) == 401
        # A client's own X-Forwarded-For is kept by the proxy, which appends the
        # address it saw: only that last one is believed.
        spoofed = _forwarded_from(f"{LOCKED_OUT}, {OTHER_CLIENT}")
        assert failed_sign_in(port, spoofed) == 401
    assert _recorded_addresses() == {OTHER_CLIENT}


def test_forwarded_headers_from_a_peer_that_is_not_the_proxy_are_not_believed(app, server):
    _lock_out(OTHER_CLIENT)
    # The proxy is elsewhere: this loopback client is not it.
    with serving_with(server, app, proxy_address="192.0.2.1") as port:
        assert failed_sign_in(port, _forwarded_from(LOCKED_OUT)) == 401
    # Without --https-proxy no peer is trusted.
    with serving_with(server, app) as port:
        assert failed_sign_in(port, _forwarded_from(LOCKED_OUT)) == 401
    assert _recorded_addresses() == {"127.0.0.1"}
