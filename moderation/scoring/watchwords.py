"""Watch-words: words, phrases or regular expressions that moderators want to see.

Each :class:`WatchWord` says what to look for and what should happen when it is
found (``flag`` for attention, ``hold`` for review, ``reject``). Admins edit the
list in the browser, so :func:`compile_watchwords` validates every entry and
raises a :class:`ValueError` that names the offending entry.

How matching stays fast with a thousand entries
-----------------------------------------------
* **Word entries** (``match="word"``) become ONE regular expression shaped like
  a trie (``idiot(?:s|ic)?`` rather than ``idiots|idiot|idiotic``), so each
  position of a comment costs a few character comparisons however long the list
  is. A phrase matches case-insensitively as whole words: it may not be glued to
  a letter, digit or underscore on either side (``idiot`` does not match
  ``idiotic``), and a space in a phrase matches any run of whitespace. Where
  entries overlap (``you`` and ``you idiot``) every one of them is reported.
* **Pattern entries** (``match="pattern"``) are joined into one combined
  expression used as a cheap "anything here?" test; only comments that pass it
  are checked pattern by pattern, so each matching pattern is reported exactly.
  Patterns are case-insensitive. Patterns using back-references or named groups
  cannot be joined safely and are always checked on their own.

Guarding against catastrophic backtracking
------------------------------------------
Python's :mod:`re` has no timeout (the ``regex`` package, which has one, is not a
dependency), so a careless pattern such as ``(a+)+x`` could hang the import of a
hostile comment. We therefore:

1. refuse patterns longer than :data:`MAX_PATTERN_LENGTH` (200) characters;
2. refuse *nested repetition* -- a repeated group that itself contains a
   repeat, e.g. ``(a+)+``, ``(\\w+\\s?)*``, ``(x{1,9}){2,}`` -- the usual source of
   exponential blow-up (rewrite ``(\\w+\\s?)*`` as ``[\\w\\s]*``);
3. search patterns in overlapping windows of :data:`WINDOW_CHARS` characters,
   so even a polynomially slow pattern (``\\w+x`` is quadratic on ``aaaa…``)
   costs time proportional to the comment's length rather than its square.
   A match is confirmed against the whole text when it touches a window's end,
   so ``$`` and ``\\b`` keep their meaning. A match longer than
   :data:`WINDOW_OVERLAP` characters that straddles two windows can be missed.

What remains: a pattern with several broad unbounded repeats (``.*a.*b.*c``) is
still slow per window (cubic in the window size). Keep patterns specific.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from re import _constants as sre_constants  # private, but stable since 3.11
from re import _parser as sre_parser
from typing import Literal

MatchKind = Literal["word", "pattern"]
Action = Literal["flag", "hold", "reject"]

MATCH_KINDS: tuple[str, ...] = ("word", "pattern")
# Ordered from mildest to most severe; ``most_severe_action`` relies on it.
ACTIONS: tuple[str, ...] = ("flag", "hold", "reject")

MAX_PATTERN_LENGTH = 200
WINDOW_CHARS = 1_000
WINDOW_OVERLAP = 200

_FLAGS = re.IGNORECASE  # str patterns are Unicode-aware by default
_WHITESPACE_RUN = re.compile(r"\s+")
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class WatchWord:
    """One entry of the watch list.

    ``phrase`` is the word/phrase (``match="word"``) or the regular expression
    (``match="pattern"``); ``action`` is what a hit asks moderators to do.
    """

    phrase: str
    match: MatchKind = "word"
    action: Action = "flag"

    def describe(self) -> str:
        """Short human label for error messages and reasons, e.g. ``word 'idiot'``."""
        return f"{self.match} {self.phrase!r}"


@dataclass(frozen=True)
class WatchMatch:
    """A watch-word found in a text, with the text that matched it."""

    entry: WatchWord
    matched_text: str


def most_severe_action(matches: Iterable[WatchMatch]) -> str | None:
    """``reject`` beats ``hold`` beats ``flag``; ``None`` when there are no matches."""
    actions = [m.entry.action for m in matches]
    return max(actions, key=ACTIONS.index) if actions else None


class WatchList:
    """Compiled watch-words; build with :func:`compile_watchwords`."""

    def __init__(self, entries: tuple[WatchWord, ...]):
        self.entries = entries
        words = [e for e in entries if e.match == "word"]
        patterns = [e for e in entries if e.match == "pattern"]

        # Word entries: normalised phrase -> entries (the same phrase may be listed
        # with different actions), plus one trie-shaped regex finding them all.
        self._words_by_key: dict[str, list[WatchWord]] = {}
        for entry in words:
            self._words_by_key.setdefault(_phrase_key(entry.phrase), []).append(entry)
        self._word_regexes = {e: re.compile(_word_body(e.phrase), _FLAGS) for e in words}
        self._word_finder = _compile_word_finder([e.phrase for e in words])

        self._pattern_regexes = {e: re.compile(e.phrase, _FLAGS) for e in patterns}
        joinable = [e for e in patterns if _joinable(e.phrase)]
        self._pattern_prefilter = (
            re.compile("|".join(f"(?:{e.phrase})" for e in joinable), _FLAGS) if joinable else None
        )
        self._lone_patterns = [e for e in patterns if e not in joinable]

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, text: str) -> list[WatchMatch]:
        """Every entry found in ``text``, each reported once, in list order."""
        found: dict[WatchWord, str] = {}
        if self._word_finder is not None:
            for entry, matched in self._find_words(text):
                found.setdefault(entry, matched)
        for entry, matched in self._find_patterns(text):
            found.setdefault(entry, matched)
        return [WatchMatch(entry, found[entry]) for entry in self.entries if entry in found]

    def _find_words(self, text: str) -> Iterator[tuple[WatchWord, str]]:
        # The finder is a zero-width lookahead, so it reports the longest phrase
        # starting at EVERY word start, including ones inside an earlier match.
        for hit in self._word_finder.finditer(text):
            longest = hit.group(1)
            found_any = False
            for end in range(1, len(longest) + 1):
                # A shorter phrase at the same start must end on a word boundary.
                # (and not on the whitespace between two words).
                if longest[end - 1].isspace():
                    continue
                if end < len(longest) and _WORD_CHAR.match(longest, end):
                    continue
                for entry in self._words_by_key.get(_phrase_key(longest[:end]), ()):
                    found_any = True
                    yield entry, longest[:end]
            if not found_any:
                # Case-insensitive matching and casefold() disagree on a few exotic
                # letters (dotless i, ...); ask each entry's own regex instead.
                for entry, regex in self._word_regexes.items():
                    if regex.fullmatch(longest):
                        yield entry, longest

    def _find_patterns(self, text: str) -> Iterator[tuple[WatchWord, str]]:
        candidates = list(self._lone_patterns)
        if self._pattern_prefilter is not None and _windowed_search(self._pattern_prefilter, text):
            candidates = list(self._pattern_regexes)
        for entry in candidates:
            hit = _windowed_search(self._pattern_regexes[entry], text)
            if hit is not None:
                yield entry, hit.group(0)


def compile_watchwords(entries: Iterable[WatchWord | Mapping[str, str]]) -> WatchList:
    """Validate and compile watch-words (objects or ``{"phrase", "match", "action"}`` dicts).

    Raises :class:`ValueError` naming the entry (1-based position and phrase) when
    an entry is malformed, a pattern does not compile or is refused as risky.
    Duplicate entries are kept once.
    """
    checked: list[WatchWord] = []
    for position, raw in enumerate(entries, start=1):
        entry = _as_watchword(raw, position)
        try:
            _validate(entry)
        except ValueError as exc:
            raise ValueError(f"watch-word #{position} ({entry.describe()}): {exc}") from None
        if entry not in checked:
            checked.append(entry)
    return WatchList(tuple(checked))


@lru_cache(maxsize=16)
def compile_watchwords_cached(entries: tuple[WatchWord, ...]) -> WatchList:
    """:func:`compile_watchwords` remembered per tuple of entries (they are hashable)."""
    return compile_watchwords(entries)


def _as_watchword(raw: WatchWord | Mapping[str, str], position: int) -> WatchWord:
    if isinstance(raw, WatchWord):
        return raw
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"phrase", "match", "action"}
        if unknown or "phrase" not in raw:
            raise ValueError(
                f"watch-word #{position}: expected keys phrase, match, action; got {sorted(raw)}"
            )
        return WatchWord(
            phrase=raw["phrase"],
            match=raw.get("match", "word"),  # type: ignore[arg-type]
            action=raw.get("action", "flag"),  # type: ignore[arg-type]
        )
    raise ValueError(f"watch-word #{position}: expected a WatchWord or a mapping, got {raw!r}")


def _validate(entry: WatchWord) -> None:
    if not isinstance(entry.phrase, str) or not entry.phrase.strip():
        raise ValueError("the phrase is empty")
    if entry.match not in MATCH_KINDS:
        raise ValueError(f"match must be one of {', '.join(MATCH_KINDS)}, not {entry.match!r}")
    if entry.action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}, not {entry.action!r}")
    if len(entry.phrase) > MAX_PATTERN_LENGTH:
        raise ValueError(f"longer than {MAX_PATTERN_LENGTH} characters")
    if entry.match == "pattern":
        try:
            parsed = sre_parser.parse(entry.phrase, _FLAGS)
            re.compile(entry.phrase, _FLAGS)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        if _has_nested_repetition(parsed):
            raise ValueError(
                "nested repetition such as (a+)+ can make matching hang; "
                "repeat a character class instead, e.g. [\\w\\s]+"
            )


# --- word entries ---------------------------------------------------------------


def _phrase_key(phrase: str) -> str:
    """Lookup key: casefolded, whitespace runs collapsed to one space."""
    return _WHITESPACE_RUN.sub(" ", phrase.strip()).casefold()


def _word_body(phrase: str) -> str:
    """Regex for one phrase: escaped words joined by runs of whitespace."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


_END = ""  # trie key marking "a phrase ends here"
_SPACE = " "  # trie key standing for a run of whitespace


def _compile_word_finder(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for token in _tokens(phrase):
            node = node.setdefault(token, {})
        node[_END] = {}
    # Lookbehind first: positions inside a word are rejected before the trie runs.
    return re.compile(rf"(?<!\w)(?=({_trie_regex(trie)})(?!\w))", _FLAGS)


def _tokens(phrase: str) -> Iterator[str]:
    for index, word in enumerate(phrase.split()):
        if index:
            yield _SPACE
        yield from word.lower()


def _trie_regex(node: dict) -> str:
    """Turn a character trie into a regex; longer continuations are tried first."""
    branches = [
        (r"\s+" if token == _SPACE else re.escape(token)) + _trie_regex(child)
        for token, child in sorted(node.items())
        if token != _END
    ]
    if _END in node:
        branches.append("")  # the phrase may stop here: tried last, so longest wins
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


# --- pattern entries ------------------------------------------------------------

_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)
_GROUP_REFERENCES = (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS)


def _subpatterns(value: object) -> Iterator[sre_parser.SubPattern]:
    """Sub-patterns nested anywhere inside a parse-tree node's argument."""
    if isinstance(value, sre_parser.SubPattern):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _subpatterns(item)


def _has_nested_repetition(parsed: sre_parser.SubPattern, inside_repeat: bool = False) -> bool:
    for op, argument in parsed:
        if op in _REPEATS:
            _min, most, body = argument
            repeats = most > 1
            if repeats and inside_repeat:
                return True
            if _has_nested_repetition(body, inside_repeat or repeats):
                return True
        elif any(_has_nested_repetition(sub, inside_repeat) for sub in _subpatterns(argument)):
            return True
    return False


def _has_group_reference(parsed: sre_parser.SubPattern) -> bool:
    for op, argument in parsed:
        if op in _GROUP_REFERENCES:
            return True
        if any(_has_group_reference(sub) for sub in _subpatterns(argument)):
            return True
    return False


def _joinable(pattern: str) -> bool:
    """Can this pattern sit inside a combined ``(?:a)|(?:b)`` without changing meaning?"""
    try:
        parsed = sre_parser.parse(pattern, _FLAGS)
        # Inline global flags such as (?s) are only allowed at the very start.
        re.compile(f"(?:{pattern})", _FLAGS)
    except re.error:
        return False
    return not parsed.state.groupdict and not _has_group_reference(parsed)


def _windowed_search(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """First match of ``regex`` in ``text``, searched window by window (see module doc)."""
    step = WINDOW_CHARS - WINDOW_OVERLAP
    start = 0
    while True:
        end = min(start + WINDOW_CHARS, len(text))
        hit = regex.search(text, start, end)
        if hit is not None:
            if hit.end() < end or end == len(text):
                return hit
            # Touches the window's artificial end: confirm with the real context.
            confirmed = regex.match(text, hit.start())
            if confirmed is not None:
                return confirmed
        if end == len(text):
            return None
        start += step
