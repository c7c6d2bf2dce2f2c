"""Accounts: password hashing, validation, and the sign-in rate limit."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from moderation import accounts
from moderation.extensions import db
from moderation.models import SignInFailure, User

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
PASSWORD = "a long enough password"


@pytest.fixture
def alice(app):
    return accounts.create_user(db.session, "alice", "moderator", PASSWORD)


def test_password_is_stored_only_as_a_scrypt_hash(alice):
    stored = db.session.scalar(sa.select(User.password_hash).where(User.username == "alice"))
    assert PASSWORD not in stored
    assert stored.startswith("scrypt:")
    # Salted: the same password hashes differently each time.
    assert accounts.hash_password(PASSWORD) != accounts.hash_password(PASSWORD)


def test_generated_passwords_are_long_and_different():
    first, second = accounts.generate_password(), accounts.generate_password()
    assert first != second
    assert len(first) >= accounts.MIN_PASSWORD_LENGTH


@pytest.mark.parametrize(
    ("username", "role", "password", "message"),
    [
        ("", "moderator", PASSWORD, "username"),
        ("has space", "moderator", PASSWORD, "username"),
        ("x" * 81, "moderator", PASSWORD, "username"),
        ("bob", "emperor", PASSWORD, "role"),
        ("bob", "moderator", "short", "at least"),
        ("bob", "moderator", "x" * 201, "at most 200"),  # the sign-in form takes no more
    ],
)
def test_create_user_refuses_bad_input(app, username, role, password, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create_user(db.session, username, role, password)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_refuses_a_taken_name(alice):
    with pytest.raises(accounts.AccountError, match="already"):
        accounts.create_user(db.session, "alice", "admin", PASSWORD)
    with pytest.raises(accounts.AccountError, match="already an account named 'alice'"):
        accounts.create_user(db.session, "ALICE", "admin", PASSWORD)


def test_sign_in_with_the_right_password(alice):
    result = accounts.sign_in(db.session, "alice", PASSWORD, "10.0.0.1", now=NOW)
    assert result.user is not None and result.user.username == "alice"
    assert result.user.last_login_at == NOW


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password"), ("nobody", PASSWORD)]
)
def test_sign_in_failures_are_recorded(alice, username, password):
    result = accounts.sign_in(db.session, username, password, "10.0.0.1", now=NOW)
    assert result.user is None and not result.rate_limited
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) == 1


def test_inactive_account_cannot_sign_in(alice):
    alice.active = False
    db.session.commit()
    assert accounts.sign_in(db.session, "alice", PASSWORD, "10.0.0.1", now=NOW).user is None


def test_account_is_locked_after_five_failures_even_with_the_right_password(alice):
    for minute in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        moment = NOW + timedelta(minutes=minute)
        assert (
            accounts.sign_in(db.session, "alice", "wrong", f"10.0.0.{minute}", now=moment).user
            is None
        )
    late = NOW + timedelta(minutes=5)
    refused = accounts.sign_in(db.session, "alice", PASSWORD, "10.9.9.9", now=late)
    assert refused.user is None and refused.rate_limited
    # Free again when the oldest failure leaves the 15-minute window.
    assert refused.retry_after == NOW + accounts.FAILURE_WINDOW - late
    later = NOW + accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert accounts.sign_in(db.session, "alice", PASSWORD, "10.9.9.9", now=later).user is not None


def test_limit_counts_usernames_case_insensitively(alice):
    for attempt in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        accounts.sign_in(
            db.session, "ALICE" if attempt % 2 else "alice", "wrong", "1.1.1.1", now=NOW
        )
    assert accounts.sign_in(db.session, "alice", PASSWORD, "2.2.2.2", now=NOW).rate_limited


def test_address_is_limited_across_accounts(alice):
    db.session.add_all(
        SignInFailure(username=f"guess{i}", address="6.6.6.6", created_at=NOW)
        for i in range(accounts.MAX_FAILURES_PER_ADDRESS)
    )
    db.session.commit()
    assert accounts.sign_in(db.session, "alice", PASSWORD, "6.6.6.6", now=NOW).rate_limited
    assert accounts.sign_in(db.session, "alice", PASSWORD, "7.7.7.7", now=NOW).user is not None


def test_success_clears_the_accounts_failures(alice):
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT - 1):
        accounts.sign_in(db.session, "alice", "wrong", "1.1.1.1", now=NOW)
    assert accounts.sign_in(db.session, "alice", PASSWORD, "1.1.1.1", now=NOW).user is not None
    remaining = db.session.scalar(
        sa.select(sa.func.count()).where(SignInFailure.username == "alice")
    )
    assert remaining == 0


def test_old_failures_are_pruned(alice):
    db.session.add(SignInFailure(username="alice", address="1.1.1.1", created_at=NOW))
    db.session.commit()
    accounts.sign_in(db.session, "alice", PASSWORD, "1.1.1.1", now=NOW + timedelta(hours=1))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) == 0
