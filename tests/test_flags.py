"""Flags on one comment's text, and the watch-word matcher behind the watch-word flag."""

import random
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.duplicates import DuplicateInfo
from moderation.scoring.flags import (
    Flag,
    FlagConfig,
    compute_flags,
    count_cased_letters,
    count_links,
    duplicate_flag,
    flag_config_from_mapping,
)
from moderation.scoring.watchwords import (
    WINDOW_CHARS,
    WatchWord,
    compile_watchwords,
    most_severe_action,
)

CONFIG = FlagConfig()


def flags_by_code(text: str, kind: str = "comment", **kwargs) -> dict[str, Flag]:
    return {flag.code: flag for flag in compute_flags(text, kind, CONFIG, **kwargs)}


# --- links ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://example.org/a?b=1 now", 1),
        ("http://x.io", 1),
        ("https://www.example.com/page counts once", 1),
        ("go to www.example.net today", 1),
        ("buy at cheap-pills.com or cheap.pills.co.uk/offer", 2),
        ("Unicode host пример.com too", 1),
        ("mail ann@example.com or ann.smith@mail.example.org", 0),
        ("it was late.In the end it was fine.So what", 0),
        ("see report.pdf and version 1.2.3 of node.js", 0),
        ("example.community is not example.com", 1),
        ("", 0),
    ],
)
def test_count_links(text, expected):
    assert count_links(text) == expected


def test_links_flag_only_above_the_limit():
    assert "links" not in flags_by_code("a.com and b.com are fine")
    flag = flags_by_code("a.com, b.com and https://c.org/x")["links"]
    assert flag.reason == "3 links (limit 2)"
    assert flag.weight_key == "links"
    assert flag.detail == {"links": 3, "limit": 2}


def test_links_limit_is_configurable():
    flags = compute_flags("one link: a.com", "comment", FlagConfig(max_links=0))
    assert [f.reason for f in flags if f.code == "links"] == ["1 links (limit 0)"]


# --- shouting ---------------------------------------------------------------------


def test_shouting_flags_mostly_capitals():
    flag = flags_by_code("THIS IS AN OUTRAGE, REALLY!")["shouting"]
    assert flag.reason == "mostly capitals (100% of letters)"
    assert flag.weight_key == "shouting"


def test_shouting_reason_states_the_share():
    # 18 upper-case letters and 4 lower-case ones: 82%.
    flag = flags_by_code("STOP LYING TO US ABOUT this")["shouting"]
    assert flag.reason == "mostly capitals (82% of letters)"
    assert flag.detail == {"upper_ratio": 0.818, "letters": 22}


def test_shouting_ratio_boundary():
    config = FlagConfig(shouting_min_letters=10)
    assert any(f.code == "shouting" for f in compute_flags("ABCDEFGhij", "comment", config))
    assert not any(f.code == "shouting" for f in compute_flags("ABCDEFghij", "comment", config))


def test_shouting_needs_enough_letters_and_a_high_share():
    assert "shouting" not in flags_by_code("USA! OK!")  # too few letters
    assert "shouting" not in flags_by_code("The BBC and the NHS said so on Monday")
    assert "shouting" not in flags_by_code("12345 !!!! ????")


def test_shouting_is_unicode_aware():
    assert "shouting" in flags_by_code("ΑΥΤΟ ΕΙΝΑΙ ΑΠΑΡΑΔΕΚΤΟ ΦΙΛΕ")
    assert "shouting" in flags_by_code("ÇA SUFFIT MAINTENANT ÉCOUTEZ")
    # Scripts without capitals neither trigger nor dilute the ratio.
    assert "shouting" not in flags_by_code("这是一个很长的评论没有大写字母" * 3)
    assert "shouting" in flags_by_code("这是一个评论 THIS IS LOUD TEXT")


# --- character runs ---------------------------------------------------------------


def test_char_run_reason():
    flag = flags_by_code("Nooo way!!!!!!!!!!!!")["char_run"]
    assert flag.reason == "character run '!!!!!!!!!!!!' (12×)"
    assert flag.detail == {"char": "!", "length": 12}


def test_char_run_reports_the_longest_and_shortens_it():
    flag = flags_by_code("sooooooo " + "?" * 500)["char_run"]
    assert flag.reason == "character run '????????????…' (500×)"


def test_char_run_threshold_and_exclusions():
    assert "char_run" not in flags_by_code("Wow!!!!! five is fine")
    assert "char_run" in flags_by_code("Wow!!!!!! six is not")
    assert "char_run" not in flags_by_code("it cost 1000000 or 2000000 dollars")  # digits
    assert "char_run" not in flags_by_code("spaces" + " " * 40 + "are layout")
    assert "char_run" in flags_by_code("😂😂😂😂😂😂")


# --- near-empty and pingbacks -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "near-empty (0 characters)"),
        ("  \n\t ", "near-empty (0 characters)"),
        (" . ", "near-empty (1 character)"),
        ("ok", "near-empty (2 characters)"),
        ("\u200b\u200b\u200b\u200b", "near-empty (0 characters)"),  # zero-width spaces
    ],
)
def test_near_empty(text, reason):
    assert flags_by_code(text)["near_empty"].reason == reason


def test_not_near_empty():
    assert "near_empty" not in flags_by_code("yes")
    assert "near_empty" not in flags_by_code("好的吧")


@pytest.mark.parametrize("kind", ["pingback", "trackback"])
def test_pingback_flag(kind):
    flag = flags_by_code("Linked from my blog post about this", kind=kind)["pingback"]
    assert flag.reason == kind
    assert flag.weight_key == "pingback"


def test_ordinary_comment_has_no_flags():
    assert compute_flags("A thoughtful comment about the council budget.", "comment", CONFIG) == []


# --- duplicate and watch-word flags -----------------------------------------------


def test_duplicate_flag_wording():
    three_threads = duplicate_flag(DuplicateInfo(5, 3, 1))
    assert three_threads.reason == "same text as 4 other comments on 3 threads"
    two_authors = duplicate_flag(DuplicateInfo(2, 1, 2))
    assert two_authors.reason == "same text as 1 other comment by 2 authors"
    flag = flags_by_code("same as elsewhere", duplicate=DuplicateInfo(3, 2, 2))["duplicate"]
    assert flag.reason == "same text as 2 other comments on 2 threads by 2 authors"
    assert flag.weight_key == "duplicate"


def test_watchword_flag_reason_and_weight_key():
    entries = [WatchWord("idiot", "word", "hold"), WatchWord(r"buy\s+now", "pattern", "reject")]
    flags = compute_flags("You IDIOT. Buy   now!", "comment", CONFIG, entries)
    assert [(f.reason, f.weight_key) for f in flags if f.code == "watchword"] == [
        ("watch-word 'idiot' (hold)", "watchword_hold"),
        ("watch-word 'buy\\s+now' (reject)", "watchword_reject"),
    ]
    assert compute_flags("idiotic idea", "comment", CONFIG, entries) == []


# --- configuration ----------------------------------------------------------------


def test_flag_config_from_mapping():
    config = flag_config_from_mapping({"max_links": 4.0, "shouting_ratio": 1})
    assert config == FlagConfig(max_links=4, shouting_ratio=1.0)
    assert isinstance(config.max_links, int)
    with pytest.raises(ValueError, match="max_lnks"):
        flag_config_from_mapping({"max_lnks": 3})
    with pytest.raises(ValueError, match="max_links"):
        flag_config_from_mapping({"max_links": -1})
    with pytest.raises(ValueError, match="whole number"):
        flag_config_from_mapping({"max_links": 2.5})
    with pytest.raises(ValueError, match="number"):
        flag_config_from_mapping({"near_empty_chars": "3"})


# --- hostile input ----------------------------------------------------------------

ADVERSARIAL = [
    "a" * 100_000,
    "a." * 50_000,
    "a-" * 50_000,
    "http://" * 15_000,
    "www." * 25_000,
    "@a." * 33_000,
    ("x" * 60 + ".") * 1_600,
    "A" * 100_000,
    "!" * 100_000,
    "ab" * 50_000,
    "\u200b" * 100_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: f"{t[:6]!r}x{len(t)}")
def test_adversarial_100kb_texts_are_handled(text):
    entries = [WatchWord("idiot"), WatchWord(r"\w+x", "pattern"), WatchWord(r"a.*b", "pattern")]
    flags = compute_flags(text, "comment", CONFIG, entries)
    assert all(isinstance(flag, Flag) for flag in flags)


def test_non_string_text_is_treated_as_empty():
    assert [f.code for f in compute_flags(None, "comment", CONFIG)] == ["near_empty"]  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(),
    kind=st.sampled_from(["comment", "pingback", "trackback", "", "other"]),
    max_links=st.integers(0, 5),
    run=st.integers(0, 10),
    near_empty=st.integers(0, 5),
)
def test_compute_flags_never_crashes(text, kind, max_links, run, near_empty):
    config = FlagConfig(max_links=max_links, char_run_length=run, near_empty_chars=near_empty)
    flags = compute_flags(text, kind, config, [WatchWord("idiot"), WatchWord("[a-z]+x", "pattern")])
    known = {"pingback", "links", "shouting", "char_run", "near_empty", "watchword"}
    assert {flag.code for flag in flags} <= known
    assert all(flag.reason for flag in flags)


# --- watch-words ------------------------------------------------------------------


def phrases(text: str, entries) -> set[str]:
    return {match.entry.phrase for match in compile_watchwords(entries).matches(text)}


def test_word_entries_match_whole_words_case_insensitively():
    entries = [WatchWord("idiot"), WatchWord("élite")]
    assert phrases("What an IDIOT!", entries) == {"idiot"}
    assert phrases("idiotic, idiots, _idiot", entries) == set()
    assert phrases("the ÉLITE again", entries) == {"élite"}
    assert phrases("Elite without accent", entries) == set()


def test_phrases_match_across_any_whitespace():
    entries = [WatchWord("you  idiot")]
    matches = compile_watchwords(entries).matches("Oh YOU\n\tidiot.")
    assert [(m.entry.phrase, m.matched_text) for m in matches] == [("you  idiot", "YOU\n\tidiot")]
    assert phrases("youidiot", entries) == set()


def test_overlapping_word_entries_are_all_reported():
    entries = [WatchWord("you"), WatchWord("you idiot"), WatchWord("idiot", action="hold")]
    assert phrases("you idiot", entries) == {"you", "you idiot", "idiot"}
    assert phrases("you fool", entries) == {"you"}


def test_word_entries_with_punctuation():
    entries = [WatchWord("$$$"), WatchWord("f*ck")]
    assert phrases("make $$$ fast, f*ck", entries) == {"$$$", "f*ck"}
    assert phrases("a$$$b", entries) == set()  # glued to letters


def test_pattern_entries():
    entries = [
        WatchWord(r"buy\s+cheap\s+\w+", "pattern", "reject"),
        WatchWord(r"(\w)\1{3}", "pattern"),
    ]
    watchlist = compile_watchwords(entries)
    matches = watchlist.matches("BUY cheap pills, zzzz")
    assert [(m.entry.action, m.matched_text) for m in matches] == [
        ("reject", "BUY cheap pills"),
        ("flag", "zzzz"),
    ]
    assert watchlist.matches("cheap buy") == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (WatchWord("(unclosed", "pattern"), r"#2 \(pattern '\(unclosed'\): not a valid regular"),
        (WatchWord("(a+)+b", "pattern"), "#2 .*nested repetition"),
        (WatchWord(r"(\w+\s?)*$", "pattern"), "#2 .*nested repetition"),
        (WatchWord("x" * 201, "pattern"), "#2 .*longer than 200"),
        (WatchWord("  ", "word"), "#2 .*empty"),
        (WatchWord("ok", "regex"), "#2 .*match must be"),  # type: ignore[arg-type]
        (WatchWord("ok", "word", "ban"), "#2 .*action must be"),  # type: ignore[arg-type]
    ],
)
def test_invalid_entries_raise_naming_the_entry(entry, message):
    with pytest.raises(ValueError, match=message):
        compile_watchwords([WatchWord("fine"), entry])


def test_entries_may_be_mappings():
    watchlist = compile_watchwords(
        [{"phrase": "idiot", "action": "hold"}, {"phrase": "x+y", "match": "pattern"}]
    )
    assert [(m.entry.action, m.matched_text) for m in watchlist.matches("idiot xxy")] == [
        ("hold", "idiot"),
        ("flag", "xxy"),
    ]
    with pytest.raises(ValueError, match="#1"):
        compile_watchwords([{"word": "idiot"}])


def test_most_severe_action():
    watchlist = compile_watchwords(
        [WatchWord("a1", action="hold"), WatchWord("b2", action="reject"), WatchWord("c3")]
    )
    assert most_severe_action(watchlist.matches("a1 b2 c3")) == "reject"
    assert most_severe_action(watchlist.matches("a1 c3")) == "hold"
    assert most_severe_action([]) is None


def test_patterns_with_back_references_still_work_next_to_others():
    entries = [
        WatchWord(r"(ab)\1", "pattern"),
        WatchWord(r"(?P<x>cd)(?P=x)", "pattern"),
        WatchWord("zz+", "pattern"),
    ]
    assert phrases("abab", entries) == {r"(ab)\1"}
    assert phrases("cdcd zzz", entries) == {"(?P<x>cd)(?P=x)", "zz+"}


def test_pattern_search_is_exact_at_window_borders():
    entries = [WatchWord(r"spam\b", "pattern"), WatchWord("end$", "pattern")]
    # "spamfilter" straddles the first window's end: the window must not fake a \b.
    straddling = "x" * (WINDOW_CHARS - 5) + " spamfilter " + "y" * 5000
    assert phrases(straddling, entries) == set()
    assert phrases("x" * 10_000 + " spam " + "y" * 10, entries) == {r"spam\b"}
    assert phrases("x " * 5_000 + "the end", entries) == {"end$"}
    assert phrases("x " * 5_000 + "the end!", entries) == set()


VOCABULARY = sorted(
    {
        "".join(random.Random(seed).choices(string.ascii_lowercase, k=2 + seed % 7))
        for seed in range(1500)
    }
)


def reference_phrases(text: str, words: list[str]) -> set[str]:
    """What a slow, obviously-correct matcher finds: one search per entry."""
    return {word for word in words if REFERENCE_REGEXES[word].search(text)}


REFERENCE_REGEXES = {
    word: re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE) for word in VOCABULARY
}


def test_combined_word_regex_matches_each_entry_like_separate_searches():
    words = VOCABULARY[:1000]
    watchlist = compile_watchwords([WatchWord(w) for w in words])
    rng = random.Random(42)
    for _ in range(50):
        text = " ".join(
            rng.choice(VOCABULARY).upper() if rng.random() < 0.2 else rng.choice(VOCABULARY)
            for _ in range(40)
        )
        found = {m.entry.phrase for m in watchlist.matches(text)}
        assert found == reference_phrases(text, words)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=60, unique=True),
    text_words=st.lists(st.sampled_from(VOCABULARY), max_size=30),
    glue=st.sampled_from([" ", ", ", "-", "_", "\n", "'"]),
)
def test_combined_word_regex_property(words, text_words, glue):
    # Multi-word phrases too: pair up some of the words.
    entries = words + [f"{a} {b}" for a, b in zip(words[::2], words[1::2], strict=False)]
    text = glue.join(text_words)
    found = {
        m.entry.phrase for m in compile_watchwords([WatchWord(w) for w in entries]).matches(text)
    }
    expected = {
        e
        for e in entries
        if re.search(
            r"(?<!\w)" + r"\s+".join(map(re.escape, e.split())) + r"(?!\w)", text, re.IGNORECASE
        )
    }
    assert found == expected


@given(st.text(alphabet=st.sampled_from("aZ é,ΑωçÇ1!") | st.characters(), max_size=80))
def test_cased_letters_are_counted_as_str_counts_them(text):
    expected = (sum(map(str.isupper, text)), sum(map(str.islower, text)))
    assert count_cased_letters(text) == expected


@given(st.text(alphabet="ab!! 1\n", max_size=40), st.integers(min_value=2, max_value=7))
def test_char_run_flag_is_the_longest_run_whatever_the_shortcut(text, run_length):
    config = FlagConfig(char_run_length=run_length)
    runs = [m.group(0) for m in re.finditer(rf"([^\s\d])\1{{{run_length - 1},}}", text)]
    flag = {f.code: f for f in compute_flags(text, "comment", config)}.get("char_run")
    if runs:
        assert flag.detail["length"] == max(map(len, runs))
    else:
        assert flag is None
