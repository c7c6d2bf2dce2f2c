"""The queue's search box: words, "exact phrases" and prefix* words, all of them required.

What a moderator types is read here (pure) into :class:`Term` values, then written
in each database's own query language: :func:`fts5_query` for SQLite's FTS5 and
:func:`tsquery` for PostgreSQL. Comment text is hostile and so is the search box,
so nothing typed is ever query syntax: every term becomes a quoted FTS5 string or
an argument of a PostgreSQL function, and quotes, parentheses, ``NEAR``, ``AND``,
``-``, ``:`` or a column name are words or separators like any punctuation.

Both indexes stem English words (FTS5's ``porter`` tokenizer, PostgreSQL's
``english`` configuration; migration 0008), so "sanction" also finds "sanctions"
and "sanctioned". A prefix is stemmed too: ``sanctions*`` finds "sanctioning".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

MAX_TERMS = 16
"""Terms beyond this are left out: each one is another index lookup."""
MIN_PREFIX_LENGTH = 3
"""Letters before a ``*``: a shorter prefix would read a large part of the index
(FTS5 has no prefix index here), so ``ab*`` searches for the word "ab"."""

_TERM = re.compile(r'"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+)')
_TOKEN = re.compile(r"[^\W_]+")
"""Letters and digits: roughly the tokens both databases see (for the checks here;
the databases' own tokenizers split what is passed to them)."""


@dataclass(frozen=True)
class Term:
    """One required term: a word or a phrase (``text``, as typed, without its quotes
    or ``*``), matched as the start of a word when ``prefix``."""

    text: str
    prefix: bool = False

    @property
    def tokens(self) -> list[str]:
        return _TOKEN.findall(self.text)


def parse(text: str) -> list[Term]:
    """The terms of a search: ``"..."`` is a phrase (an unclosed quote runs to the end),
    other text splits at spaces into words, a word ending in ``*`` is a prefix.
    Terms without a letter or digit are left out, as are those after :data:`MAX_TERMS`."""
    terms = []
    for match in _TERM.finditer(unicodedata.normalize("NFC", text.replace("\x00", ""))):
        if match["phrase"] is not None:
            term = Term(match["phrase"])
        else:
            word = match["word"]
            stem = word.rstrip("*")
            tokens = _TOKEN.findall(stem)
            wide_enough = bool(tokens) and len(tokens[-1]) >= MIN_PREFIX_LENGTH
            term = Term(stem, prefix=stem != word and wide_enough and stem.endswith(tokens[-1]))
        if term.tokens:
            terms.append(term)
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term]) -> str:
    """The terms as an FTS5 query: each a quoted string (a phrase of its tokens, ``*``
    after it for a prefix), side by side, which FTS5 reads as all of them required."""
    return " ".join(
        '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "") for term in terms
    )


ENGLISH = sa.literal_column("'english'")
"""A literal, not a bound parameter: the configuration ``comments.body_search`` is
generated with (migration 0020), written into the statement for all to read."""


def tsquery(terms: list[Term]) -> sa.ColumnElement:
    """The terms as one PostgreSQL ``tsquery``, all of them required (``&&``).

    Words and phrases go to ``phraseto_tsquery``, which takes plain text and parses it
    as documents are parsed. A prefix needs ``to_tsquery``'s syntax (``'word':*``); it is
    written from the term's letters and digits only, each quoted, so it cannot be anything
    but a phrase of those words ending in a prefix.
    """
    parts = []
    for term in terms:
        if term.prefix:
            text = " <-> ".join(f"'{token}'" for token in term.tokens) + ":*"
            parts.append(sa.func.to_tsquery(ENGLISH, text))
        else:
            parts.append(sa.func.phraseto_tsquery(ENGLISH, term.text))
    query = parts[0]
    for part in parts[1:]:
        query = query.op("&&")(part)
    return query
