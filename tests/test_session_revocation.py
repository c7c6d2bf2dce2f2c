"""Sessions end on the server: a copy of a session cookie stops working after its
account signs out, gets a new password or role, or an admin signs it out everywhere."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from moderation import accounts
from moderation.config import Config
from moderation.extensions import db
from moderation.models import User

COOKIE = Config.SESSION_COOKIE_NAME


@pytest.fixture
def moderator(app, auth_factory):
    """A moderator signed in through the form, and a second client holding a copy of
    their session cookie (as someone who stole it would)."""
    signed_in = auth_factory(app.test_client())
    assert signed_in.sign_in("moderator").status_code == 302
    thief = auth_factory(app.test_client())
    thief.client.set_cookie(COOKIE, signed_in.client.get_cookie(COOKIE).value)
    assert thief.client.get("/queue").status_code == 200
    return signed_in, thief


@pytest.fixture
def admin(app, auth_factory):
    admin = auth_factory(app.test_client())
    admin.login_as("admin")
    return admin


def _post(auth, url, **data):
    return auth.client.post(url, data={"csrf_token": auth.token(), **data})


def _signed_out(auth) -> bool:
    response = auth.client.get("/queue")
    return response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_signing_out_ends_the_session_for_a_copy_of_the_cookie_too(moderator):
    signed_in, thief = moderator
    signed_in.sign_out()
    assert _signed_out(signed_in) and _signed_out(thief)
    # Signing in again makes a new session; the old cookie stays dead.
    assert signed_in.sign_in("moderator").status_code == 302
    assert not _signed_out(signed_in) and _signed_out(thief)


def test_signing_out_ends_this_browser_only(moderator, auth_factory, app):
    signed_in, thief = moderator
    phone = auth_factory(app.test_client())
    assert phone.sign_in("moderator").status_code == 302
    signed_in.sign_out()
    assert _signed_out(signed_in) and _signed_out(thief)
    assert not _signed_out(phone)  # the same account in another browser


def test_signing_out_everywhere_ends_the_accounts_other_browsers(moderator, auth_factory, app):
    signed_in, thief = moderator
    phone = auth_factory(app.test_client())
    assert phone.sign_in("moderator").status_code == 302
    assert 'name="everywhere"' in signed_in.client.get("/overview").get_data(as_text=True)
    _post(signed_in, "/sign-out", everywhere="1")
    assert _signed_out(signed_in) and _signed_out(thief) and _signed_out(phone)


def test_a_session_past_its_age_is_over_and_deleted_at_the_next_sign_in(moderator, users):
    from datetime import timedelta

    from moderation.models import SignedInSession, utcnow

    signed_in, thief = moderator
    old = utcnow() - accounts.SESSION_MAX_AGE - timedelta(minutes=1)
    db.session.execute(sa.update(SignedInSession).values(created_at=old))
    db.session.commit()
    assert _signed_out(signed_in) and _signed_out(thief)
    assert signed_in.sign_in("moderator").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignedInSession)) == 1


def test_session_secrets_are_stored_hashed(moderator):
    from moderation.models import SignedInSession

    signed_in, _ = moderator
    with signed_in.client.session_transaction() as session:
        secret = session["_user_id"].rpartition(".")[2]
    stored = db.session.scalars(sa.select(SignedInSession.secret_hash)).all()
    assert secret and secret not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_a_new_password_ends_every_session(moderator, admin, users):
    signed_in, thief = moderator
    _post(admin, f"/admin/accounts/{users['moderator'].id}/password")
    assert _signed_out(signed_in) and _signed_out(thief)


def test_a_new_role_ends_every_session(moderator, admin, users):
    signed_in, thief = moderator
    _post(admin, f"/admin/accounts/{users['moderator'].id}", role="analyst", active="y")
    assert _signed_out(signed_in) and _signed_out(thief)
    # Saving the form with the role unchanged signs nobody out.
    assert signed_in.sign_in("moderator").status_code == 302
    _post(admin, f"/admin/accounts/{users['moderator'].id}", role="analyst", active="y")
    assert not _signed_out(signed_in)


def test_an_admin_signs_one_account_out_everywhere(moderator, admin, users, auth_factory, app):
    signed_in, thief = moderator
    other = auth_factory(app.test_client())
    other.login_as("moderator2")
    assert "Sign out everywhere" in admin.client.get("/admin/accounts").get_data(as_text=True)
    response = _post(admin, f"/admin/accounts/{users['moderator'].id}/sign-out")
    assert response.status_code == 302
    assert _signed_out(signed_in) and _signed_out(thief)
    assert not _signed_out(other)  # only that account
    assert not _signed_out(admin)


def test_only_admins_sign_others_out(moderator, users, auth_factory, app):
    signed_in, _ = moderator
    other = auth_factory(app.test_client())
    other.login_as("moderator2")
    response = _post(other, f"/admin/accounts/{users['moderator'].id}/sign-out")
    assert response.status_code == 403
    assert not _signed_out(signed_in)


def test_set_password_raises_the_generation_and_ends_sessions(moderator, users):
    signed_in, thief = moderator
    accounts.set_password(db.session, users["moderator"], "another good long password")
    generation = db.session.scalar(
        sa.select(User.session_generation).where(User.id == users["moderator"].id)
    )
    assert generation == 1
    assert _signed_out(signed_in) and _signed_out(thief)
