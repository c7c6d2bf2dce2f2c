"""``moderation report``: the terminal summary and the self-contained HTML file."""

from __future__ import annotations

import base64
import re

from test_reports import add_comment, at, data  # noqa: F401  (the fixture)

from moderation.extensions import db
from moderation.models import Article
from moderation.reports.cli import report_command

HOSTILE_TITLE = '<script>alert("t")</script>'


def test_terminal_summary(runner, data):  # noqa: F811
    result = runner.invoke(report_command, [])
    assert result.exit_code == 0, result.output
    assert re.search(r"Comments\s+9\b", result.output)
    assert re.search(r"Negative\s+57\.1%", result.output)
    assert "Top 3 of 3 articles by comments" in result.output
    lines = result.output.splitlines()
    order = [line.split()[0] for line in lines if re.match(r"\d+\s+\S+\.example", line)]
    assert order == [str(data.a.id), str(data.b.id), str(data.c.id)]


def test_terminal_summary_with_filters(runner, data):  # noqa: F811
    result = runner.invoke(report_command, ["--site", "b.example", "--since", "2024-03-11"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Comments\s+2\b", result.output)
    assert "from 2024-03-11, site b.example" in result.output


def test_one_article(runner, data):  # noqa: F811
    result = runner.invoke(report_command, ["--article", str(data.a.id)])
    assert result.exit_code == 0, result.output
    assert re.search(r"Median time to decision\s+25 min", result.output)
    assert re.search(rf"Derails at comment\s+{data.c3.id}\b", result.output)
    missing = runner.invoke(report_command, ["--article", "9999"])
    assert missing.exit_code != 0 and "no article #9999" in missing.output


def test_bad_dates_are_refused(runner, data):  # noqa: F811
    result = runner.invoke(report_command, ["--since", "yesterday"])
    assert result.exit_code == 2 and "since must be a date" in result.output


def test_an_html_file_that_cannot_be_written_is_an_error_naming_it(runner, data, tmp_path):  # noqa: F811
    target = tmp_path / "missing-folder" / "r.html"
    result = runner.invoke(report_command, ["--html", str(target)])
    assert result.exit_code == 1
    assert f"Error: cannot write {target}: No such file or directory" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_html_file_is_self_contained_and_inert(runner, data, tmp_path):  # noqa: F811
    evil = Article(site="a.example", key="evil", title=HOSTILE_TITLE, content_hash="e",
                   published_at=at("2024-03-11 00:00"))  # fmt: skip
    db.session.add(evil)
    db.session.flush()
    add_comment(evil, "e1", "approved", "2024-03-11 01:00", -0.5, author="<b>bold</b>")
    db.session.commit()
    path = tmp_path / "report.html"
    result = runner.invoke(report_command, ["--html", str(path)])
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from anywhere
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(images) == 3  # sentiment shares, over time, moderators
    for encoded in images:
        svg = base64.b64decode(encoded).decode("utf-8")
        assert svg.startswith("<svg") and "<title>" in svg and "<script" not in svg
    assert "Chart: Comments and sentiment per day" in html


def test_article_html_file(runner, data, tmp_path):  # noqa: F811
    path = tmp_path / "article.html"
    result = runner.invoke(report_command, ["--html", str(path), "--article", str(data.a.id)])
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "<h1>Article A</h1>" in html
    assert html.count("data:image/svg+xml;base64,") == 4
    assert "Most negative sub-threads" in html


def test_empty_site(runner, app, tmp_path):
    result = runner.invoke(report_command, [])
    assert result.exit_code == 0, result.output
    assert "Top 0 of 0 articles" in result.output
    path = tmp_path / "empty.html"
    assert runner.invoke(report_command, ["--html", str(path)]).exit_code == 0
    assert "Nothing to show" in path.read_text(encoding="utf-8")
