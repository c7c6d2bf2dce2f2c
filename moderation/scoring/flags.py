"""Flags: simple, explainable signals about one comment's text.

A :class:`Flag` is something a moderator should notice, with the reason in words
("3 links (limit 2)"). :func:`compute_flags` looks at one comment on its own;
the duplicate flag needs the whole corpus, so it is computed by
:mod:`moderation.scoring.duplicates` and turned into a flag by
:func:`duplicate_flag` (or passed to :func:`compute_flags` as ``duplicate=``), and
so is the near-duplicate flag of a campaign (:func:`near_duplicate_flag`).

Comment text is hostile input: every check is a pre-compiled regular expression
without nested repetition, or a single pass over the characters, so a 100 KB
adversarial comment costs milliseconds, never minutes.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from moderation.scoring.watchwords import (
    WatchList,
    WatchWord,
    compile_watchwords_cached,
)

if TYPE_CHECKING:
    from moderation.scoring.duplicates import DuplicateInfo


@dataclass(frozen=True)
class Flag:
    """One signal about a comment.

    ``code`` says what kind of signal it is (``links``, ``shouting``, ...);
    ``reason`` explains it to a moderator; ``weight_key`` names the
    :class:`~moderation.scoring.priority.PriorityWeights` field that prices it;
    ``detail`` carries numbers for the UI and is left out of equality and hashing.
    """

    code: str
    reason: str
    weight_key: str
    detail: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class FlagConfig:
    """Thresholds for :func:`compute_flags`; defaults suit ordinary news comments."""

    # "links" when a comment has MORE than this many links.
    max_links: int = 2
    # "shouting" only looks at comments with at least this many cased letters,
    # so "OK" or "USA!" alone never count as shouting...
    shouting_min_letters: int = 12
    # ...and flags when at least this share of those letters is upper case.
    shouting_ratio: float = 0.7
    # "char_run": this many identical non-space characters in a row ("!!!!!!",
    # "soooooo"). Digits are NOT counted: "1000000" or "2000000" are numbers,
    # not noise.
    char_run_length: int = 6
    # "near_empty": fewer than this many visible characters ("", ".", "ok", "+1").
    near_empty_chars: int = 3


ConfigT = TypeVar("ConfigT")


def numeric_config_from_mapping(cls: type[ConfigT], mapping: Mapping[str, Any]) -> ConfigT:
    """Build a dataclass of numbers from a config mapping (e.g. a TOML table).

    Missing keys keep their defaults; unknown keys (typos) and values that are not
    non-negative numbers raise :class:`ValueError` naming the key. Values are
    converted to the field's default type, so ``2`` and ``2.0`` give the same config.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, value in mapping.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{cls.__name__}.{name} must be a number, not {value!r}")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{cls.__name__}.{name} must be a finite number >= 0, not {value!r}")
        wanted = type(fields[name].default)
        if wanted is int and value != int(value):
            raise ValueError(f"{cls.__name__}.{name} must be a whole number, not {value!r}")
        values[name] = wanted(value)
    return cls(**values)


def flag_config_from_mapping(mapping: Mapping[str, Any]) -> FlagConfig:
    """:class:`FlagConfig` from a config mapping; see :func:`numeric_config_from_mapping`."""
    return numeric_config_from_mapping(FlagConfig, mapping)


# --- links ----------------------------------------------------------------------

# Top-level domains that count for BARE domains ("cheap-pills.com"). Deliberately
# leaves out TLDs that are also common words ("in", "is", "it", "me", "to", "at",
# "be", "no", "so", "us", ...) because a missing space after a full stop
# ("it was late.In the end") must not look like a link. http(s):// and www.
# links count whatever their TLD.
BARE_DOMAIN_TLDS: tuple[str, ...] = (
    "com", "net", "org", "info", "biz", "io", "co", "uk", "de", "fr", "nl", "es", "eu",
    "ru", "su", "cn", "jp", "pl", "ua", "br", "au", "ca", "ch", "se", "xyz", "top",
    "online", "site", "club", "shop", "store", "live", "life", "pro", "app", "dev",
    "tk", "ml", "ga", "cf", "gq", "ly", "gl", "cc", "ws", "tv", "fm", "gd",
)  # fmt: skip

_HOST_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"  # Unicode letters/digits, inner hyphens
LINK = re.compile(
    r"""
    (?<![\w@.-])            # not inside a word, an e-mail address or a longer host
    (?:
        https?://[^\s<>"']+         # explicit URL: up to the next space or quote
      | www\.[^\s<>"']+             # www.host...
      | (?:{label}\.)+(?:{tlds})    # bare domain with a well-known TLD...
        (?![\w@-]|\.[^\W_])         # ...that really ends here (not user@, not .com.x)
        (?:/[^\s<>"']*)?            # optional path
    )
    """.format(label=_HOST_LABEL, tlds="|".join(BARE_DOMAIN_TLDS)),
    re.IGNORECASE | re.VERBOSE,
)


# Every link LINK matches contains "://", "www." or "." and a listed TLD. Most comments
# contain none, and these checks (literal searches) are many times cheaper than
# trying LINK at every position of the comment.
_BARE_DOMAIN_HINT = re.compile(
    r"\.(?:{tlds})(?![^\W_])".format(tlds="|".join(BARE_DOMAIN_TLDS)), re.IGNORECASE
)


def _may_contain_links(text: str) -> bool:
    return "://" in text or "www." in text.lower() or bool(_BARE_DOMAIN_HINT.search(text))


def count_links(text: str) -> int:
    """Links in ``text``: http(s):// URLs, www. hosts and bare domains with common TLDs.

    "https://www.example.com/x" counts once. E-mail addresses ("ann@example.com")
    do not count: a host right after ``@`` is skipped by the lookbehind.
    """
    if not _may_contain_links(text):
        return 0
    return sum(1 for _ in LINK.finditer(text))


# --- the individual checks ------------------------------------------------------

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def _visible_length(text: str, stop_at: int) -> int:
    """Visible characters (not whitespace, control, zero-width or combining marks).

    Stops counting at ``stop_at``: we only need to know "fewer than N or not".
    """
    count = 0
    for char in text:
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES:
            count += 1
            if count >= stop_at:
                break
    return count


def _near_empty_flag(text: str, config: FlagConfig) -> Flag | None:
    if config.near_empty_chars <= 0:
        return None
    visible = _visible_length(text, stop_at=config.near_empty_chars)
    if visible >= config.near_empty_chars:
        return None
    noun = "character" if visible == 1 else "characters"
    return Flag(
        "near_empty", f"near-empty ({visible} {noun})", "near_empty", {"visible_chars": visible}
    )


def _links_flag(text: str, config: FlagConfig) -> Flag | None:
    links = count_links(text)
    if links <= config.max_links:
        return None
    return Flag(
        "links",
        f"{links} links (limit {config.max_links})",
        "links",
        {"links": links, "limit": config.max_links},
    )


_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LOWER = bytes(range(ord("a"), ord("z") + 1))
_NOT_UPPER = bytes(set(range(128)) - set(_ASCII_UPPER))
_NOT_LOWER = bytes(set(range(128)) - set(_ASCII_LOWER))


def count_cased_letters(text: str) -> tuple[int, int]:
    """Upper- and lower-case letters in ``text``, as ``str.isupper``/``str.islower`` count them.

    Most comments are ASCII, whose letters ``bytes.translate`` counts in C, ten
    times faster than asking each character.
    """
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _NOT_UPPER)), len(data.translate(None, _NOT_LOWER))
    return sum(map(str.isupper, text)), sum(map(str.islower, text))


def _shouting_flag(text: str, config: FlagConfig) -> Flag | None:
    # Only cased letters count: Chinese or Arabic script has no capitals and
    # must not dilute (or trigger) the ratio.
    upper, lower = count_cased_letters(text)
    letters = upper + lower
    if letters == 0 or letters < config.shouting_min_letters:
        return None
    ratio = upper / letters
    if ratio < config.shouting_ratio:
        return None
    return Flag(
        "shouting",
        f"mostly capitals ({round(ratio * 100)}% of letters)",
        "shouting",
        {"upper_ratio": round(ratio, 3), "letters": letters},
    )


_RUN_SHOWN = 12  # longer runs are shown shortened: "'!!!!!!!!!!!!…' (500×)"


def _char_run_regex(length: int) -> re.Pattern[str]:
    # One character (not whitespace, not a digit) followed by the same character:
    # a back-reference to a single character is linear, never exponential.
    return re.compile(rf"([^\s\d])\1{{{max(length, 2) - 1},}}")


def _any_run_regex(length: int) -> re.Pattern[str]:
    # Any character, then the same character length - 1 more times, spelt out: the
    # engine tries this at each position faster than a counted repeat ({n,}) or a
    # character class, and faster than one substring search per distinct character.
    return re.compile("(.)" + r"\1" * (max(length, 2) - 1), re.DOTALL)


_CHAR_RUN_CACHE: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _char_run_flag(text: str, config: FlagConfig) -> Flag | None:
    if config.char_run_length <= 1:
        return None
    regexes = _CHAR_RUN_CACHE.get(config.char_run_length)
    if regexes is None:
        regexes = _CHAR_RUN_CACHE.setdefault(
            config.char_run_length,
            (_any_run_regex(config.char_run_length), _char_run_regex(config.char_run_length)),
        )
    any_run, regex = regexes
    # A run (of a character that is not a space or a digit) is a run of some
    # character: most texts have none, and the cheaper search rules them out.
    if any_run.search(text) is None:
        return None
    longest = max((m.group(0) for m in regex.finditer(text)), key=len, default="")
    if not longest:
        return None
    shown = longest if len(longest) <= _RUN_SHOWN else longest[:_RUN_SHOWN] + "…"
    return Flag(
        "char_run",
        f"character run '{shown}' ({len(longest)}×)",
        "char_run",
        {"char": longest[0], "length": len(longest)},
    )


def _pingback_flag(kind: str) -> Flag | None:
    if kind not in ("pingback", "trackback"):
        return None
    return Flag("pingback", kind, "pingback")


def watchword_flags(
    text: str, watchwords: WatchList | Sequence[WatchWord] | None = None
) -> list[Flag]:
    """One ``watchword`` flag per matching entry, e.g. "watch-word 'idiot' (hold)".

    The weight key depends on the action (``watchword_flag``/``_hold``/``_reject``)
    so a "reject" word can weigh far more than a "flag" word.
    """
    if not watchwords:
        return []
    if not isinstance(watchwords, WatchList):
        watchwords = compile_watchwords_cached(tuple(watchwords))
    return [
        Flag(
            "watchword",
            f"watch-word '{match.entry.phrase}' ({match.entry.action})",
            f"watchword_{match.entry.action}",
            {
                "phrase": match.entry.phrase,
                "match": match.entry.match,
                "action": match.entry.action,
                "matched_text": match.matched_text[:200],
            },
        )
        for match in watchwords.matches(text)
    ]


def duplicate_flag(info: DuplicateInfo) -> Flag:
    """Flag for a comment whose (near-)same text was posted elsewhere.

    Reads e.g. "same text as 4 other comments on 3 threads" or
    "same text as 1 other comment by 2 authors".
    """
    others = info.group_size - 1
    where = []
    if info.threads >= 2:
        where.append(f"on {info.threads} threads")
    if info.authors >= 2:
        where.append(f"by {info.authors} authors")
    noun = "comment" if others == 1 else "comments"
    reason = " ".join([f"same text as {others} other {noun}", *where])
    return Flag("duplicate", reason, "duplicate", dataclasses.asdict(info))


def near_duplicate_flag(campaign: int, size: int, threads: int, authors: int) -> Flag:
    """Flag for a comment in a campaign of near copies (:mod:`moderation.campaigns`).

    Reads e.g. "near-duplicate of 19 comments in campaign #42, on 18 threads".
    """
    others = size - 1
    noun = "comment" if others == 1 else "comments"
    where = []
    if threads >= 2:
        where.append(f"on {threads} threads")
    if authors >= 2:
        where.append(f"by {authors} authors")
    reason = f"near-duplicate of {others} {noun} in campaign #{campaign}"
    if where:
        reason += ", " + " ".join(where)
    detail = {"campaign": campaign, "size": size, "threads": threads, "authors": authors}
    return Flag("near_duplicate", reason, "near_duplicate", detail)


def compute_flags(
    text: str,
    kind: str,
    config: FlagConfig,
    watchwords: WatchList | Sequence[WatchWord] = (),
    *,
    duplicate: DuplicateInfo | None = None,
) -> list[Flag]:
    """All flags for one comment, in a fixed order.

    ``kind`` is the comment kind ("comment", "pingback", "trackback");
    ``watchwords`` is a compiled :class:`WatchList` (best for many comments) or
    plain entries (compiled once and cached); ``duplicate`` is this comment's
    entry from :func:`~moderation.scoring.duplicates.find_duplicate_groups`, if any.
    Never raises on odd text: ``None`` or non-strings are treated as empty.
    """
    if not isinstance(text, str):
        text = ""
    checks = (
        _pingback_flag(kind),
        _near_empty_flag(text, config),
        _links_flag(text, config),
        _shouting_flag(text, config),
        _char_run_flag(text, config),
        duplicate_flag(duplicate) if duplicate is not None else None,
    )
    flags = [flag for flag in checks if flag is not None]
    flags.extend(watchword_flags(text, watchwords))
    return flags
