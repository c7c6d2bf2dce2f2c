"""Text piped to ``moderation import -`` is imported only when it has the shape of a page.

Any text at all reads as a page to the plain-text format, which is the fallback
when no other format recognises a source. A file is chosen by its name; what
arrives on standard input may be anything the shell was given (a command's
output, a log, a stray ``echo``), and made an article it would sit in the
queue as if it were one. So text read from standard input, when its format was
detected rather than named with ``--format``, must show an article's shape: a
title over at least one paragraph of prose, or reader comments that were
recognised. Otherwise the source is refused, and nothing of it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .records import ArticleRecord, CommentRecord, ImportFormatError, Record

PROSE_WORDS = 8
PROSE_CHARS = 60
# Prose ends its sentences; a command's output or a list of values rarely does.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*$")


def is_prose(paragraph: str) -> bool:
    text = " ".join(paragraph.split())
    return (
        len(text) >= PROSE_CHARS
        and len(text.split()) >= PROSE_WORDS
        and _SENTENCE_END.search(text) is not None
    )


def has_article_shape(article: ArticleRecord, comments: int) -> bool:
    """A title over prose paragraphs, or recognised reader comments."""
    if comments:
        return True
    return bool(article.title) and any(is_prose(part) for part in article.body.split("\n\n"))


def refuse_shapeless_text(records: Iterable[Record], source: str) -> Iterator[Record]:
    """``records`` of a page read from standard input, refused whole when it is not a page.

    A page is read whole by its parser, so holding its records back costs nothing.
    """
    held = list(records)
    articles = [record for record in held if isinstance(record, ArticleRecord)]
    comments = sum(isinstance(record, CommentRecord) for record in held)
    if not articles or not has_article_shape(articles[0], comments):
        raise ImportFormatError(
            source,
            "the text on standard input has no article's shape (a title over paragraphs "
            "of prose, or reader comments): nothing imported; name the format with "
            "--format to import it anyway",
        )
    yield from held
