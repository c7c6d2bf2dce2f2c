"""Parsing in a child process gives exactly what parsing here gives, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation import commands
from moderation.extensions import db
from moderation.importers.records import ImportFormatError
from moderation.models import Comment, ImportBatch
from moderation.parse_worker import ChildParse
from moderation.prepare import StreamParse

DATA = Path(__file__).resolve().parent / "data"
WXR = DATA / "xml" / "wordpress_export.xml"


def test_child_parse_yields_the_same_records_checksum_and_size():
    child = ChildParse(WXR, "export.xml")
    from_child = list(child.records())
    with open(WXR, "rb") as stream:
        here = StreamParse(stream, "export.xml")
        from_here = list(here.records())
        assert (child.format_name, child.checksum, child.size) == (
            here.format_name,
            here.checksum,
            here.size,
        )
    assert from_child == from_here and from_child
    assert [type(r) for r in from_child] == [type(r) for r in from_here]


def test_a_format_error_in_the_child_arrives_with_its_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(WXR.read_bytes()[:3000])
    with pytest.raises(ImportFormatError) as raised:
        list(ChildParse(broken, "broken.xml").records())
    assert raised.value.source == "broken.xml" and raised.value.line


def test_progress_counts_every_byte(tmp_path):
    seen = []
    list(ChildParse(WXR, "export.xml", on_read=seen.append).records())
    assert sum(seen) == WXR.stat().st_size


def test_the_cli_imports_large_files_through_the_child(runner, monkeypatch, tmp_path):
    monkeypatch.setattr(commands, "PARSE_IN_CHILD_MIN_BYTES", 0)
    result = runner.invoke(args=["import", "--no-score", str(WXR)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) > 0
    checksum = db.session.scalar(sa.select(ImportBatch.checksum))
    assert checksum and len(checksum) == 64

    broken = tmp_path / "broken.xml"
    broken.write_bytes(WXR.read_bytes()[:3000])
    result = runner.invoke(args=["import", str(broken)])
    assert result.exit_code == 1 and f"{broken}:" in result.output
