"""The real command line, driven through Click's runner (as sqlite-utils tests do)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from moderation.extensions import db
from moderation.models import Article, Comment, CommentScore, ImportBatch

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_seeds_prints_a_summary_and_scores(runner):
    result = runner.invoke(args=["import", str(SEEDS)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "file", "format", "status", "art", "new", "art", "upd", "com", "new", "com", "upd",
        "unchanged", "pingbacks", "skipped",
    ]  # fmt: skip
    row = next(line for line in lines if "000_d5ec5eac8c7d0052.txt" in line).split()
    assert row[1:] == ["text", "succeeded", "1", "0", "5", "0", "0", "1", "0"]
    assert "2 of 2 files imported" in result.output
    assert "scored 5 comments in 1 threads" in result.output
    assert count(Article) == 2 and count(Comment) == 5 and count(CommentScore) == 5


def test_importing_again_adds_nothing(runner):
    runner.invoke(args=["import", str(SEEDS)])
    result = runner.invoke(args=["import", str(SEEDS)])
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if "000_" in line).split()
    assert row[3:] == ["0", "0", "0", "0", "5", "0", "0"]
    assert "scores: all up to date" in result.output
    assert count(Comment) == 5


def test_a_bad_file_fails_with_its_name_and_line_and_others_still_import(runner, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"article_url": "https://x.test/a", "text": "fine"}\n{"text": \n')
    result = runner.invoke(args=["import", str(broken), str(SEEDS / "000_d5ec5eac8c7d0052.txt")])
    assert result.exit_code == 1
    assert f"error: {broken}:2: invalid JSON" in result.output
    assert "1 of 2 files imported, 1 failed" in result.output
    batches = dict(db.session.execute(sa.select(ImportBatch.source_name, ImportBatch.status)).all())
    assert batches[str(broken)] == "failed"
    assert count(Comment) == 5  # the seed's, nothing of the broken file


def test_standard_input_and_format_override(runner):
    csv = "article_url,article_title,comment_id,author,text\nhttps://x.test/a,A,1,Ann,Hello\n"
    result = runner.invoke(args=["import", "--format", "csv", "--no-score", "-"], input=csv)
    assert result.exit_code == 0, result.output
    assert "<stdin>" in result.output
    assert count(Comment) == 1 and count(CommentScore) == 0


def test_unknown_format_and_missing_path_are_refused(runner, tmp_path):
    result = runner.invoke(args=["import", "--format", "docx", str(SEEDS)])
    assert result.exit_code == 2 and "choose one of csv, disqus, jsonl, text, wxr" in result.output
    result = runner.invoke(args=["import", str(tmp_path / "nope.xml")])
    assert result.exit_code == 1 and "nope.xml: no such file or folder" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(args=["import", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "empty: a folder with no files in it" in result.output


def test_globs_expand_and_empty_globs_are_an_error(runner, tmp_path):
    result = runner.invoke(args=["import", "--no-score", str(DATA / "xml" / "*_export.xml")])
    assert result.exit_code == 0, result.output
    assert "wordpress_export.xml" in result.output and "disqus_export.xml" in result.output
    result = runner.invoke(args=["import", str(tmp_path / "*.none")])
    assert result.exit_code == 1 and "no file matches" in result.output


def test_strict_fails_when_records_were_skipped(runner):
    disqus = DATA / "xml" / "disqus_export.xml"
    relaxed = runner.invoke(args=["import", "--no-score", str(disqus)])
    assert relaxed.exit_code == 0 and "records skipped" in relaxed.output
    strict = runner.invoke(args=["import", "--no-score", "--strict", str(disqus)])
    assert strict.exit_code == 1


def test_binary_and_empty_files_are_refused_clearly(runner, tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "empty.txt").write_bytes(b"")
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 1
    assert f"{folder / 'image.png'}: binary file" in result.output
    assert f"{folder / 'empty.txt'}: empty file" in result.output
    assert count(Article) == 0


def test_score_command_scores_stale_and_all(runner):
    runner.invoke(args=["import", "--no-score", str(SEEDS)])
    result = runner.invoke(args=["score"])
    assert result.exit_code == 0 and "scored 5 comments" in result.output
    assert "all up to date" in runner.invoke(args=["score"]).output
    assert "scored 5 comments" in runner.invoke(args=["score", "--all"]).output


def test_evaluate_prints_the_figures(runner):
    result = runner.invoke(args=["evaluate"])
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output and "swap test" in result.output
    assert "agreement" in result.output
    # Both bundled sets, then side by side.
    assert "== labelled here" in result.output and "== SemEval-2016" in result.output
    assert "side by side" in result.output and "MAP" in result.output


def test_evaluate_takes_a_labelled_export(runner, tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text('{"1": "Good", "2": "Bad"}')
    wxr = tmp_path / "set.xml"
    wxr.write_text(
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<item><title>Oil sanctions</title><wp:post_id>9</wp:post_id>"
        "<content:encoded>Sanctions on oil tankers.</content:encoded>"
        "<wp:comment><wp:comment_id>1</wp:comment_id>"
        "<wp:comment_content>More oil sanctions</wp:comment_content></wp:comment>"
        "<wp:comment><wp:comment_id>2</wp:comment_id>"
        "<wp:comment_content>Nice sourdough</wp:comment_content></wp:comment>"
        "</item></channel></rss>"
    )
    result = runner.invoke(args=["evaluate", str(wxr), "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    assert "== set.xml: set.xml with labels.json" in result.output
    assert "side by side" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"1": "Great"}')
    result = runner.invoke(args=["evaluate", str(wxr), "--labels", str(bad)])
    assert result.exit_code != 0 and "unknown label 'Great'" in result.output
    assert runner.invoke(args=["evaluate", "--labels", str(labels)]).exit_code != 0


def test_import_rolls_back_a_file_that_fails_half_way(runner, tmp_path):
    lines = [
        f'{{"article_url": "https://x.test/a", "comment_id": "{n}", "text": "ok {n}"}}'
        for n in range(300)
    ]
    lines.append('{"article_url": "https://x.test/a", "comment_id": [1], "text": "bad"}')
    path = tmp_path / "late_error.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert f"{path}:301" in result.output
    assert count(Comment) == 0


def test_standard_input_without_an_article_shape_is_refused(runner):
    listing = "total 8\n-rw-r--r-- 1 ann staff 1204 Dec  6 19:00 notes.txt\n"
    for text in ("hello world\n", listing, "Just a title\n\nshort line\nanother\n"):
        result = runner.invoke(args=["import", "--no-score", "-"], input=text)
        assert result.exit_code == 1, result.output
        assert "<stdin>: the text on standard input has no article's shape" in result.output
    assert count(Article) == 0 and count(Comment) == 0
    # Named as text, it is imported as the operator says.
    result = runner.invoke(args=["import", "--no-score", "--format", "text", "-"], input=listing)
    assert result.exit_code == 0, result.output
    assert count(Article) == 1


def test_standard_input_with_a_page_is_imported(runner):
    for page in sorted(SEEDS.glob("*.txt")) + sorted((DATA / "scraped").glob("*.txt")):
        result = runner.invoke(args=["import", "--no-score", "-"], input=page.read_bytes())
        assert result.exit_code == 0, (page.name, result.output)
    assert count(Article) == len(list(SEEDS.glob("*.txt"))) + len(
        list((DATA / "scraped").glob("*.txt"))
    )


def test_help_lists_the_projects_commands_and_flasks_under_flask(tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "MODERATION_SECRET_KEY": "test"}
    environment["MODERATION_DATABASE_URL"] = f"sqlite:///{tmp_path / 'help.sqlite'}"

    def commands(*args: str) -> list[str]:
        completed = subprocess.run(
            [sys.executable, "-m", "moderation.cli", *args, "--help"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        listed = completed.stdout.split("Commands:\n")[1].splitlines()
        assert "--app" not in completed.stdout and "--version" not in completed.stdout
        return [line.split()[0] for line in listed if line.startswith("  ")]

    assert commands() == [
        "create-user", "db", "evaluate", "export-decisions", "flask", "import", "init", "report",
        "reset-password", "score", "serve", "sync", "token", "webhooks", "worker",
    ]  # fmt: skip
    assert commands("flask") == ["routes", "run", "shell"]
