"""Comments posted to the API: JSON objects of the JSON lines vocabulary, imported like a file.

The objects go through the same conversion as a JSON lines file
(:func:`moderation.importers.tabular.records_from_objects`) and the same ingest, so a
posted comment is stored exactly as the same comment imported from a file would be,
and posting it again is recognised by its source id. One request is one import batch
(``api:<token name>`` in the import history), stored whole or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from .importers.records import ArticleRecord, Record
from .importers.tabular import records_from_objects
from .ingest import ImportOutcome, import_parsed
from .models import Article, Comment

ATTEMPTS = 3


class _PostedParse:
    """What :func:`moderation.ingest.import_parsed` reads: the objects as records.

    A client posting comments on an article it sent before names the article by its
    key alone. In a file that would mean "an article with no title or text", and
    ingest would empty the stored one; here the article fields a record leaves out
    keep their stored values, and those it gives replace them.
    """

    format_name = "api"

    def __init__(
        self,
        session: so.Session,
        objects: Sequence[dict],
        source_name: str,
        raw: bytes,
        default_site: str,
    ):
        self.session = session
        self.objects = objects
        self.source_name = source_name
        self.default_site = default_site
        self.checksum = hashlib.sha256(raw).hexdigest()
        self.size = len(raw)

    def records(self) -> Iterator[Record]:
        for record in records_from_objects(enumerate(self.objects, start=1), self.source_name):
            if isinstance(record, ArticleRecord):
                record = self._completed(record)
            yield record

    def _completed(self, record: ArticleRecord) -> ArticleRecord:
        stored = (
            self.session.connection()
            .execute(_STORED_ARTICLE, {"site": record.site or self.default_site, "key": record.key})
            .first()
        )
        if stored is None:
            return record
        return ArticleRecord(
            key=record.key,
            site=record.site,
            url=record.url or stored.url,
            title=record.title or stored.title,
            author=record.author or stored.author,
            published_at=record.published_at or stored.published_at,
            body=record.body or stored.body,
            line=record.line,
        )


# Statements built once: building one costs more than running it, for each article
# and request (see moderation.ingest).
_STORED_ARTICLE = sa.select(
    Article.url, Article.title, Article.author, Article.published_at, Article.body
).where(Article.site == sa.bindparam("site"), Article.key == sa.bindparam("key"))
_STORED_IDS = (
    sa.select(Comment.id, Comment.external_id, Article.site, Article.key)
    .join(Article, Article.id == Comment.article_id)
    .where(
        Comment.external_id.in_(sa.bindparam("source_ids", expanding=True)),
        Article.key.in_(sa.bindparam("keys", expanding=True)),
    )
)


@dataclass(frozen=True)
class StoredComment:
    record: int
    """Which object (from 1)."""
    id: int
    source_id: str
    article_key: str


@dataclass
class PostedOutcome:
    outcome: ImportOutcome
    stored: list[StoredComment]


def import_posted(
    session: so.Session,
    objects: Sequence[dict],
    source_name: str,
    raw: bytes,
    default_site: str = "",
) -> PostedOutcome:
    """Import the objects as one batch; each stored comment with its database id.

    Two requests bringing the same new article (or comment) at once both find it
    missing and both insert it; the second's insert then fails on the unique index
    and its batch is rolled back (and recorded as failed). It is tried again, and
    then finds what the first stored.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            outcome = import_parsed(
                session,
                source_name,
                lambda: _PostedParse(session, objects, source_name, raw, default_site),
                default_site=default_site,
                chunk_size=max(len(objects), 1),
            )
            break
        except sa.exc.IntegrityError:
            if attempt == ATTEMPTS:
                raise
    stored = _stored_ids(session, objects, default_site) if outcome.succeeded else []
    return PostedOutcome(outcome, stored)


def _stored_ids(
    session: so.Session, objects: Sequence[dict], default_site: str
) -> list[StoredComment]:
    wanted: dict[tuple[str, str, str], int] = {}
    for number, obj in enumerate(objects, start=1):
        key = _text(obj.get("article_id")) or _text(obj.get("article_url"))
        site = _text(obj.get("site")) or default_site
        wanted.setdefault((site, key, _text(obj.get("comment_id"))), number)
    if not wanted:
        return []
    rows = session.connection().execute(
        _STORED_IDS,
        {
            "source_ids": list({source_id for _, _, source_id in wanted}),
            "keys": list({key for _, key, _ in wanted}),
        },
    )
    found = {(row.site, row.key, row.external_id): row.id for row in rows}
    return sorted(
        (
            StoredComment(number, found[place], place[2], place[1])
            for place, number in wanted.items()
            if place in found
        ),
        key=lambda stored: stored.record,
    )


def _text(value: object) -> str:
    # As the JSON lines reader reads the value: integers as their digits, text stripped.
    return "" if value is None else str(value).replace("\x00", "").strip()
