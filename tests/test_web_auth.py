"""Signing in and out through the browser forms."""

import sqlalchemy as sa

from moderation.accounts import MAX_FAILURES_PER_ACCOUNT
from moderation.extensions import db
from moderation.models import SignInFailure


def test_sign_in_page_is_public_and_signed_in_users_skip_it(auth):
    response = auth.client.get("/sign-in")
    assert response.status_code == 200
    assert 'autocomplete="current-password"' in response.get_data(as_text=True)
    auth.login_as("moderator")
    assert auth.client.get("/sign-in").headers["Location"] == "/"


def test_sign_in_and_go_where_you_were_going(auth):
    token = auth.token("/sign-in")
    response = auth.client.post(
        "/sign-in?next=/queue%3Ftab%3Dspam",
        data={"username": "moderator", "password": "correct horse battery staple",
              "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/queue?tab=spam"
    assert auth.client.get("/queue").status_code == 200


def test_sign_in_never_redirects_off_site(auth):
    token = auth.token("/sign-in")
    response = auth.client.post(
        "/sign-in?next=https://evil.example/",
        data={"username": "moderator", "password": "correct horse battery staple",
              "csrf_token": token},
    )  # fmt: skip
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(auth):
    wrong = auth.sign_in("moderator", "not the password")
    unknown = auth.sign_in("nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
    assert auth.client.get("/queue").status_code == 302


def test_sign_in_says_what_is_wrong_with_what_no_account_can_match(auth):
    too_long = auth.sign_in("moderator", "x" * 201)
    assert too_long.status_code == 401
    assert "Wrong username or password." in too_long.get_data(as_text=True)
    empty = auth.sign_in("moderator", "")
    assert empty.status_code == 400
    assert "Enter your username and password." in empty.get_data(as_text=True)


def test_repeated_failures_lock_the_account_with_429(auth):
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert auth.sign_in("moderator", "guess").status_code == 401
    locked = auth.sign_in("moderator")
    assert locked.status_code == 429
    assert "Too many failed sign-ins. Try again in about 15 minutes." in locked.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) == 5
    assert auth.client.get("/queue").status_code == 302


def test_sign_out_needs_a_post_with_the_token(auth):
    auth.sign_in("analyst")
    assert auth.client.get("/sign-out").status_code == 405
    response = auth.sign_out()
    assert response.headers["Location"] == "/sign-in"
    assert auth.client.get("/overview").status_code == 302


def test_deactivated_account_cannot_sign_in(auth, users):
    users["analyst"].active = False
    db.session.commit()
    assert auth.sign_in("analyst").status_code == 401
