"""Admin pages: accounts, watch-words, reject reasons, settings, the decisions report, import."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation import decisions
from moderation.extensions import db
from moderation.models import (
    Comment,
    CommentScore,
    ImportBatch,
    RejectReason,
    Setting,
    User,
    WatchWordEntry,
)
from moderation.scoring_runner import count_stale

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def post(auth, url, **data):
    return auth.client.post(url, data={"csrf_token": auth.token(), **data})


def page(auth, url):
    return auth.client.get(url).get_data(as_text=True)


@pytest.fixture
def admin(auth):
    auth.login_as("admin")
    return auth


# Accounts --------------------------------------------------------------------------


def test_create_account_with_a_generated_password_shown_once(admin):
    response = post(admin, "/admin/accounts", username="newmod", role="moderator", password="")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r"Password for <strong>newmod</strong>: <code>([^<]+)</code>", html)[1]
    user = db.session.scalar(sa.select(User).where(User.username == "newmod"))
    assert user.role == "moderator" and password not in user.password_hash
    assert password not in page(admin, "/admin/accounts")  # shown once only
    admin.sign_out()
    assert admin.sign_in("newmod", password).headers["Location"] == "/"


def test_create_account_refuses_bad_names(admin):
    response = post(admin, "/admin/accounts", username="moderator", role="analyst", password="")
    assert response.status_code == 400
    assert "already an account" in response.get_data(as_text=True)
    response = post(admin, "/admin/accounts", username="ok", role="analyst", password="short")
    assert response.status_code == 400 and "at least 10" in response.get_data(as_text=True)
    response = post(admin, "/admin/accounts", username="x", role="king", password="")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 4


def test_change_role_and_deactivate(admin, users):
    target = users["moderator2"]
    post(admin, f"/admin/accounts/{target.id}", role="analyst", active="")
    db.session.expire_all()
    assert (target.role, target.active) == ("analyst", False)
    assert "now analyst, deactivated" in page(admin, "/admin/accounts")


def test_admins_cannot_lock_themselves_out(admin, users):
    me = users["admin"]
    post(admin, f"/admin/accounts/{me.id}", role="moderator", active="y")
    db.session.expire_all()
    assert me.role == "admin"
    assert "cannot remove your own admin rights" in page(admin, "/admin/accounts")


def test_reset_password_signs_the_account_out(app, admin, auth_factory, users):

    other = auth_factory(app.test_client())
    other.login_as("moderator")
    assert other.client.get("/queue").status_code == 200
    html = post(admin, f"/admin/accounts/{users['moderator'].id}/password").get_data(as_text=True)
    assert "Password for <strong>moderator</strong>" in html
    assert other.client.get("/queue").status_code == 302


# Watch-words -----------------------------------------------------------------------


def test_watch_words_add_validate_and_remove(admin):
    post(admin, "/admin/watch-words", phrase="idiot", match="word", action="hold")
    entry = db.session.scalar(sa.select(WatchWordEntry))
    assert (entry.phrase, entry.match, entry.action) == ("idiot", "word", "hold")
    assert "<code>idiot</code>" in page(admin, "/admin/watch-words")
    again = post(admin, "/admin/watch-words", phrase="IDIOT", match="word", action="reject")
    assert again.status_code == 400
    assert "&#39;idiot&#39; is on the list already (hold)" in again.get_data(as_text=True)

    bad = post(admin, "/admin/watch-words", phrase="(a+)+", match="pattern", action="flag")
    assert bad.status_code == 400 and "nested repetition" in bad.get_data(as_text=True)
    bad = post(admin, "/admin/watch-words", phrase="([", match="pattern", action="flag")
    assert bad.status_code == 400 and "not a valid regular expression" in bad.get_data(as_text=True)

    post(admin, f"/admin/watch-words/{entry.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WatchWordEntry)) == 0


def test_watch_word_change_makes_scores_stale(admin):
    from moderation.settings import current_scoring_config

    before = current_scoring_config(db.session).hash()
    post(admin, "/admin/watch-words", phrase="idiot", match="word", action="flag")
    assert current_scoring_config(db.session).hash() != before


# Reject reasons --------------------------------------------------------------------


def test_reject_reasons_add_edit_and_delete(admin):
    post(admin, "/admin/reject-reasons", label="Abuse", position="2", active="y")
    post(admin, "/admin/reject-reasons", label="Off-topic", position="1", active="y")
    duplicate = post(admin, "/admin/reject-reasons", label="Abuse", position="0", active="y")
    assert duplicate.status_code == 400
    labels = db.session.scalars(sa.select(RejectReason.label).order_by(RejectReason.position))
    assert list(labels) == ["Off-topic", "Abuse"]
    abuse = db.session.scalar(sa.select(RejectReason).where(RejectReason.label == "Abuse"))
    post(admin, f"/admin/reject-reasons/{abuse.id}", label="Abusive", position="0", active="")
    db.session.expire_all()
    assert (abuse.label, abuse.position, abuse.active) == ("Abusive", 0, False)
    # An inactive reason is not offered in the queue.
    assert '<option value="Abusive">' not in page(admin, "/queue?tab=all")
    post(admin, f"/admin/reject-reasons/{abuse.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectReason)) == 1


# Settings --------------------------------------------------------------------------


def test_settings_show_every_number_and_save_changes(admin):
    html = page(admin, "/admin/settings")
    for name in ["positive_threshold", "off_topic_threshold", "flags.", "weights."]:
        assert f'name="{name}' in html, name
    values = dict(re.findall(r'name="([\w.]+)" value="([^"]+)"', html))
    values["off_topic_threshold"] = "0.61"
    response = post(admin, "/admin/settings", **values)
    assert response.status_code == 302
    stored = db.session.get(Setting, "scoring")
    assert stored.value == {"off_topic_threshold": 0.61}
    assert "Saved 1 setting" in page(admin, "/admin/settings")


def test_saving_a_weight_has_the_worker_reprioritise_the_comments(admin, scored_thread):
    scored = [c.id for c in scored_thread.comments if c.id != scored_thread.unscored.id]
    before = {s.comment_id: s.priority for s in db.session.scalars(sa.select(CommentScore))}
    values = dict(re.findall(r'name="([\w.]+)" value="([^"]+)"', page(admin, "/admin/settings")))
    values["weights.negative_sentiment"] = "30"
    post(admin, "/admin/settings", **values)
    assert "comments are rescored in the background" in page(admin, "/admin/settings")
    # The job ran where it was asked for (JOB_QUEUE_IMMEDIATE): every score is current.
    db.session.expire_all()
    assert count_stale(db.session) == 0
    after = {s.comment_id: s.priority for s in db.session.scalars(sa.select(CommentScore))}
    assert any(after[i] != before[i] for i in scored)


def test_settings_refuse_bad_numbers(admin):
    html = page(admin, "/admin/settings")
    values = dict(re.findall(r'name="([\w.]+)" value="([^"]+)"', html))
    response = post(admin, "/admin/settings", **{**values, "positive_threshold": "lots"})
    assert response.status_code == 400 and "not a number" in response.get_data(as_text=True)
    response = post(admin, "/admin/settings", **{**values, "negative_threshold": "0.9"})
    assert response.status_code == 400
    assert "Not saved: negative_threshold must not be above" in response.get_data(as_text=True)
    assert db.session.get(Setting, "scoring") is None


def test_rescore_now_scores_stale_comments(admin, scored_thread):
    unscored = scored_thread.unscored.id
    post(admin, "/admin/settings/rescore")
    assert db.session.get(CommentScore, unscored) is not None
    assert "Rescoring in the background" in page(admin, "/admin/settings")


# The decisions report --------------------------------------------------------------


def test_decisions_by_moderator_and_day(admin, users, scored_thread):
    ids = [c.id for c in scored_thread.comments]
    decisions.decide(db.session, ids[0], 1, "approved", users["moderator"])
    decisions.bulk_decide(db.session, [(ids[1], 1), (ids[2], 1)], "rejected", users["moderator2"])
    decisions.undo_last(db.session, users["moderator2"])
    html = page(admin, "/admin/decisions")
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\w+)</td>((?:<td>\d+</td>)+)</tr>", html)
    cells = {who: [int(n) for n in re.findall(r"\d+", numbers)] for _, who, numbers in rows}
    # approved, rejected, spam, escalated, undos, of which bulk, total
    assert cells["moderator"] == [1, 0, 0, 0, 0, 0, 1]
    assert cells["moderator2"] == [0, 2, 0, 0, 2, 2, 4]
    assert html.count("pending → rejected") == 2 and "undone" in html


# Import from the browser -----------------------------------------------------------


def test_upload_imports_scores_and_shows_the_summary(admin):
    seed = sorted(SEEDS.glob("*.txt"))[0]
    response = admin.client.post(
        "/admin/import",
        data={
            "csrf_token": admin.token(),
            "file": (io.BytesIO(seed.read_bytes()), seed.name),
            "format": "",
            "site": "example.org",
        },
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Import done" in html and f"upload:{seed.name}" in html
    for column in ["format", "art new", "com new", "skipped"]:
        assert f'<th scope="col">{column}</th>' in html
    comments = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert comments > 0
    scored = db.session.scalar(sa.select(sa.func.count()).select_from(CommentScore))
    # Scored by the job the upload asked for, which the tests run at once.
    assert scored == comments
    assert "Scoring: queued" in html
    queue = page(admin, "/queue")
    assert f'Pending <span class="count">{comments}</span>' in queue


def test_the_import_page_lists_recent_imports_with_their_progress(admin):
    db.session.add_all(
        [
            ImportBatch(source_name="done.xml", status="succeeded", comments_new=1200),
            ImportBatch(source_name="<b>big</b>.xml", comments_new=45000, chunks_committed=9),
        ]
    )
    db.session.commit()
    html = page(admin, "/admin/import")
    assert "<td>done.xml</td>\n    <td>finished</td>" in html and "<td>1,200</td>" in html
    assert "&lt;b&gt;big&lt;/b&gt;.xml" in html  # a source name is text, never markup
    assert "running (its comments appear when it finishes)" in html
    assert "<td>45,000</td>\n    <td>9</td>" in html


def test_upload_of_an_unreadable_file_fails_cleanly(admin):
    response = admin.client.post(
        "/admin/import",
        data={"csrf_token": admin.token(), "file": (io.BytesIO(b"\x00\x01\x02" * 100), "x.bin")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Import failed" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(ImportBatch.status)) == "failed"


def test_too_large_upload_is_refused_with_413_and_nothing_imported(app, admin):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    token = admin.token()
    seed = sorted(SEEDS.glob("*.txt"))[0].read_bytes()
    big = seed + b"\n\n" + b"x" * 20_000
    response = admin.client.post(
        "/admin/import",
        data={"csrf_token": token, "file": (io.BytesIO(big), "big.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_upload_without_a_file_is_a_form_error(admin):
    response = post(admin, "/admin/import", format="")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


# WordPress sync ------------------------------------------------------------------------


def test_the_wordpress_page_lists_sites_and_open_conflicts(admin, users, scored_thread):
    from moderation.models import WordPressPush, WordPressSite

    first, second = scored_thread.comments[:2]
    db.session.add(WordPressSite(site="example.org", url="https://example.org", last_comment_id=7))
    made = []
    for comment, status in ((first, "approved"), (second, "approved"), (first, "rejected")):
        made.append(
            decisions.decide(db.session, comment.id, comment.version, status, users["moderator"])
        )
        db.session.refresh(comment)

    def pushed(decision, outcome, detail=None):
        return WordPressPush(
            decision_id=decision.id, comment_id=decision.comment_id, site="example.org",
            expected_status="hold", remote_status="trash", pushed_status="approved",
            outcome=outcome, detail=detail,
        )  # fmt: skip

    db.session.add_all(
        [
            pushed(made[0], "conflict", "changed on the site <script>x()</script>"),
            pushed(made[1], "conflict", "deleted on the site since it was pulled"),
        ]
    )
    db.session.commit()
    html = page(admin, "/admin/wordpress")
    assert "https://example.org" in html and "7" in html
    assert f"#{first.id}" in html and f"#{second.id}" in html
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    # Decided again and pushed: the first comment's conflict is settled.
    db.session.add(pushed(made[2], "pushed"))
    db.session.commit()
    html = page(admin, "/admin/wordpress")
    assert f"#{first.id}</a>" not in html and f"#{second.id}</a>" in html


def test_the_wordpress_page_is_for_admins_only(auth):
    assert auth.client.get("/admin/wordpress").status_code == 302
    auth.login_as("moderator")
    assert auth.client.get("/admin/wordpress").status_code == 403
