"""Two-way sync with a WordPress site: its comments pulled into the queue, decisions pushed back.

Pull: new comments (any status but spam and trash, newest first down to the newest a
completed pull took, the site's cursor) and every held one, a page at a time, each page one
import batch through the same ingest as files (:func:`moderation.ingest.import_parsed`), with
the posts they are on as articles. Pulling again adds nothing; a pull cut off half-way leaves
the cursor where it was, so the next reads those pages again and finds them unchanged.

Push: each comment of the site whose latest decision has not been pushed, its status sent as
WordPress's (see :data:`STATUS_TO_REMOTE`), after reading the site's: if the comment changed
there since it was pulled (another status, other text, or deleted), the decision is a
conflict, recorded and listed, and the site is left as it is. Every decision gets one
:class:`~moderation.models.WordPressPush`, committed as soon as the site answered, so a push
cut off half-way goes on where it stopped, and a decision is never sent twice; one sent whose
row was lost to a crash is found already applied and recorded as such.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from .importers.control_characters import clean_records
from .importers.records import ArticleRecord, Record
from .importers.wordpress_rest import (
    EXPORT_TO_REST_STATUS,
    article_record,
    comment_record,
    page_records,
)
from .ingest import import_parsed
from .models import Article, Comment, Decision, WordPressPush, WordPressSite, utcnow
from .statuses import ModerationStatus
from .wordpress_api import WordPressAPI, WordPressError

COMMENTS = "wp/v2/comments"
REJECT_CHOICES = ("trash", "spam")
SCAN_ATTEMPTS = 3


def status_to_remote(rejected_as: str = "trash", spam_as: str = "spam") -> dict[str, str]:
    """What each status in the tool asks of the site. Escalated and pending leave it held."""
    return {
        ModerationStatus.APPROVED: "approved",
        ModerationStatus.REJECTED: rejected_as,
        ModerationStatus.SPAM: spam_as,
        ModerationStatus.ESCALATED: "hold",
        ModerationStatus.PENDING: "hold",
    }


def site_name(home_url: str) -> str:
    """The site as articles name it: the host of its home URL, as a WXR import names it."""
    return urlsplit(home_url).hostname or home_url


def site_state(session: so.Session, api: WordPressAPI) -> WordPressSite:
    name = site_name(api.home)
    state = session.get(WordPressSite, name)
    if state is None:
        state = WordPressSite(site=name, url=api.url, last_comment_id=0)
        session.add(state)
        session.commit()
    return state


# Pull -----------------------------------------------------------------------------------


@dataclass
class PullSummary:
    pages: int = 0
    comments_new: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    problems: list[str] = field(default_factory=list)


class _PageParse:
    """One page of the API's answer, shaped as :func:`import_parsed` reads a file."""

    format_name = "wordpress"

    def __init__(self, records: list[Record], comments: list[dict]):
        self._records = records
        raw = orjson.dumps(comments, option=orjson.OPT_SORT_KEYS)
        self.checksum = hashlib.sha256(raw).hexdigest()
        self.size = len(raw)

    def records(self) -> Iterator[Record]:
        return iter(self._records)


class _Puller:
    def __init__(self, session: so.Session, api: WordPressAPI, state: WordPressSite):
        self.session = session
        self.api = api
        self.site = state.site
        self.summary = PullSummary()
        self.articles: dict[int, ArticleRecord | None] = {}
        self.authors: dict[int, str | None] = {}
        self.seen: set[int] = set()

    def new_comments(self, after_id: int) -> int:
        """Comments newer than ``after_id``, newest first; the newest id seen.

        Pages are numbered, so a comment leaving the list meanwhile (spammed, trashed,
        deleted on the site) moves the later ones up a place, and one would be missed at a
        page's edge: the site's total going down says so, and the scan starts again (what it
        had read is unchanged the second time). Comments arriving meanwhile only push the
        later ones down, to be read twice.
        """
        for _ in range(SCAN_ATTEMPTS):
            newest, complete = self._scan_new(after_id)
            if complete:
                return newest
        raise WordPressError(
            f"{self.api.url}: its comments kept changing while they were read; "
            "nothing is lost, run the sync again"
        )

    def _scan_new(self, after_id: int) -> tuple[int, bool]:
        newest, first_total = after_id, None
        pages = self.api.pages(
            COMMENTS, {"status": "all", "context": "edit", "orderby": "id", "order": "desc"}
        )
        for page in pages:
            first_total = page.total if first_total is None else first_total
            if page.total < first_total:
                return newest, False
            fresh = [comment for comment in self._checked(page.items) if comment["id"] > after_id]
            newest = max([newest, *(comment["id"] for comment in fresh)])
            self.ingest(fresh, "new")
            if len(fresh) < len(page.items):
                break  # reached what an earlier pull took
        return newest, True

    def held_comments(self) -> None:
        pages = self.api.pages(
            COMMENTS, {"status": "hold", "context": "edit", "orderby": "id", "order": "desc"}
        )
        for page in pages:
            self.ingest([c for c in self._checked(page.items) if c["id"] not in self.seen], "held")

    def _checked(self, comments: list) -> list[dict]:
        """The page's comments, refused whole if one is not shaped like WordPress's."""
        for comment in comments:
            if not (
                isinstance(comment, dict)
                and isinstance(comment.get("id"), int)
                and isinstance(comment.get("post"), int)
            ):
                raise WordPressError(
                    f"{self.api.url}: an answer that is not a WordPress comment: {comment!r:.100}"
                )
        return comments

    def ingest(self, comments: list[dict], which: str) -> None:
        if not comments:
            return
        self.seen.update(comment["id"] for comment in comments)
        for post_id in {comment["post"] for comment in comments} - self.articles.keys():
            self.articles[post_id] = self._article(post_id)
        records = list(page_records(comments, self.articles))
        self.summary.pages += 1
        source = f"{self.api.url} (WordPress sync: {which} comments, page {self.summary.pages})"
        outcome = import_parsed(
            self.session,
            source,
            lambda: _PageParse(records, comments),
            default_site=self.site,
            chunk_size=len(comments),
        )
        batch = outcome.batch
        if not outcome.succeeded:
            raise WordPressError(f"{self.api.url}: importing its comments failed: {batch.error}")
        self.summary.comments_new += batch.comments_new
        self.summary.comments_updated += batch.comments_updated
        self.summary.comments_unchanged += batch.comments_unchanged
        self.summary.articles_new += batch.articles_new
        self.summary.articles_updated += batch.articles_updated
        self.summary.problems += [problem["message"] for problem in batch.problems]

    def _article(self, post_id: int) -> ArticleRecord | None:
        post = self.api.content(post_id)
        if post is None:
            return None
        author_id = post.get("author")
        if author_id and author_id not in self.authors:
            self.authors[author_id] = self.api.username(author_id)
        return article_record(post, self.site, self.authors.get(author_id))


def pull(session: so.Session, api: WordPressAPI) -> PullSummary:
    """New and held comments of the site into the queue (see the module's description)."""
    state = site_state(session, api)
    puller = _Puller(session, api, state)
    newest = puller.new_comments(state.last_comment_id)
    puller.held_comments()
    state = session.get(WordPressSite, state.site)
    state.last_comment_id = max(state.last_comment_id, newest)
    state.url = api.url
    state.pulled_at = utcnow()
    session.commit()
    return puller.summary


# Push -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PushConflict:
    comment_id: int
    remote_id: str
    title: str
    expected: str
    found: str
    wanted: str
    reason: str

    def __str__(self) -> str:
        return (
            f"comment {self.comment_id} (WordPress comment {self.remote_id} on {self.title!r}): "
            f"{self.reason}; not set to {self.wanted}"
        )


@dataclass
class PushSummary:
    pushed: dict[str, int] = field(default_factory=dict)
    """Decisions sent, by the status the site was given."""
    already: int = 0
    conflicts: list[PushConflict] = field(default_factory=list)


def unpushed_decisions(session: so.Session, site: str) -> sa.Select:
    """Each comment of the site whose latest decision has no push row, oldest decision first."""
    latest = (
        sa.select(Decision.comment_id, sa.func.max(Decision.id).label("decision_id"))
        .group_by(Decision.comment_id)
        .subquery()
    )
    return (
        sa.select(Comment, Article.title, latest.c.decision_id)
        .join(latest, latest.c.comment_id == Comment.id)
        .join(Article, Article.id == Comment.article_id)
        .where(
            Article.site == site,
            Article.key.startswith("wp:"),
            ~sa.exists().where(WordPressPush.decision_id == latest.c.decision_id),
        )
        .order_by(latest.c.decision_id)
    )


def _known_remote_status(session: so.Session, comment: Comment) -> str:
    """The site's status as last seen here: after the last push, else as pulled."""
    last = session.scalar(
        sa.select(WordPressPush)
        .where(WordPressPush.comment_id == comment.id)
        .order_by(WordPressPush.id.desc())
        .limit(1)
    )
    if last is not None:
        return last.remote_status if last.outcome == "conflict" else last.pushed_status
    source = comment.source_status or ""
    return EXPORT_TO_REST_STATUS.get(source, source)


def push(
    session: so.Session, api: WordPressAPI, rejected_as: str = "trash", spam_as: str = "spam"
) -> PushSummary:
    """Every decision not yet pushed, to the site (see the module's description)."""
    site = site_state(session, api).site
    wanted_for = status_to_remote(rejected_as, spam_as)
    summary = PushSummary()
    rows = session.execute(unpushed_decisions(session, site)).all()
    for comment, title, decision_id in rows:
        wanted = wanted_for[comment.status]
        expected = _known_remote_status(session, comment)
        remote = api.comment(comment.external_id)
        found = remote.get("status", "") if remote else "deleted"
        outcome, detail = _push_one(api, comment, remote, expected, wanted)
        if outcome == "conflict":
            conflict = PushConflict(
                comment.id, comment.external_id, title, expected, found, wanted, detail
            )
            summary.conflicts.append(conflict)
        elif outcome == "already":
            summary.already += 1
        else:
            summary.pushed[wanted] = summary.pushed.get(wanted, 0) + 1
        session.add(
            WordPressPush(
                decision_id=decision_id,
                comment_id=comment.id,
                site=site,
                expected_status=expected,
                remote_status=found,
                pushed_status=wanted,
                outcome=outcome,
                detail=detail,
            )
        )
        session.commit()
    return summary


def _push_one(
    api: WordPressAPI, comment: Comment, remote: dict | None, expected: str, wanted: str
) -> tuple[str, str | None]:
    """(outcome, why) for one decision, the site's status set when it is still as known."""
    if remote is None:
        return "conflict", "deleted on the site since it was pulled"
    found = remote.get("status")
    if found == wanted:
        return "already", None
    if found != expected:
        return "conflict", f"changed on the site since it was pulled (status {expected} → {found})"
    remote_text = next(clean_records([comment_record(remote)])).body
    if remote_text != comment.body:
        return "conflict", "its text was edited on the site since it was pulled"
    answer = api.set_status(comment.external_id, wanted)
    if answer.get("status") != wanted:
        raise WordPressError(
            f"{api.url}: comment {comment.external_id} was not set to {wanted} "
            f"(the site says {answer.get('status')!r})"
        )
    return "pushed", None


@dataclass(frozen=True)
class OpenConflict:
    """A comment whose latest push was held back: the site and here disagree until a
    moderator decides it again (the next push then starts from the site's status)."""

    push: WordPressPush
    comment: Comment
    title: str


def open_conflicts(session: so.Session, limit: int = 500) -> list[OpenConflict]:
    """Comments whose latest push row is a conflict, newest first (the admin page's list)."""
    latest = (
        sa.select(sa.func.max(WordPressPush.id).label("push_id"))
        .group_by(WordPressPush.comment_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(WordPressPush, Comment, Article.title)
        .join(latest, latest.c.push_id == WordPressPush.id)
        .join(Comment, Comment.id == WordPressPush.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .where(WordPressPush.outcome == "conflict")
        .order_by(WordPressPush.id.desc())
        .limit(limit)
    ).all()
    return [OpenConflict(push, comment, title) for push, comment, title in rows]


def synced_sites(session: so.Session) -> list[WordPressSite]:
    return list(session.scalars(sa.select(WordPressSite).order_by(WordPressSite.site)))
