"""Duplicate spam: the same or nearly the same text on several threads or by several authors."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.duplicates import (
    DuplicateInfo,
    find_duplicate_groups,
    fingerprint,
    normalise_for_matching,
)

SPAM = (
    "Earn five thousand dollars a week working from home with our proven system, "
    "no experience needed, sign up today and start earning right away"
)


def test_normalise_keeps_words_and_domains_only():
    assert normalise_for_matching("  Buy NOW!!  Visit https://www.Cheap.example.com/p?id=7 ") == (
        "buy now visit cheap example com"
    )
    assert normalise_for_matching("cheap.example.com/other/path, OK?") == "cheap example com ok"
    assert normalise_for_matching("Ｆｕｌｌｗｉｄｔｈ Straße") == "fullwidth strasse"
    assert normalise_for_matching(None) == ""  # type: ignore[arg-type]


def test_fingerprint_ignores_case_punctuation_and_link_paths():
    a = fingerprint("Great deals at http://shop.example.com/a?ref=1 !!!")
    b = fingerprint("great   deals at shop.example.com/b")
    assert a == b
    assert len(a) == 32 and int(a, 16) >= 0
    assert fingerprint("Great deals at other.example.com") != a
    assert fingerprint("\ud800 lone surrogate") == fingerprint("\ud800 LONE surrogate")


def test_same_text_on_two_threads_is_spam():
    result = find_duplicate_groups(
        [(1, "article-a", "spammer", SPAM), (2, "article-b", "spammer", SPAM.upper() + "!!")]
    )
    assert result == {1: DuplicateInfo(2, 2, 1), 2: DuplicateInfo(2, 2, 1)}


def test_same_text_same_thread_same_author_is_a_double_post_not_spam():
    items = [(1, "article-a", "Ann", SPAM), (2, "article-a", " ann ", SPAM)]
    assert find_duplicate_groups(items) == {}


def test_same_text_by_two_authors_on_one_thread_is_spam():
    items = [(1, "article-a", "Ann", SPAM), (2, "article-a", "Bob", SPAM), (3, "x", "Cy", "other")]
    assert find_duplicate_groups(items) == {1: DuplicateInfo(2, 1, 2), 2: DuplicateInfo(2, 1, 2)}


def test_unknown_authors_do_not_count_as_different_authors():
    items = [
        (1, "article-a", None, SPAM),
        (2, "article-a", "", SPAM),
        (3, "article-a", "Ann", SPAM),
    ]
    assert find_duplicate_groups(items) == {}


def test_near_copies_with_small_edits_are_caught():
    edited = SPAM.replace("five", "six").replace("today", "now") + " http://spam.example/x"
    items = [
        (1, "a", "u1", SPAM),
        (2, "b", "u2", edited),
        (3, "c", "u3", SPAM.replace("week", "month")),
        (4, "d", "u4", "The council should publish the full budget before the vote next week."),
    ]
    result = find_duplicate_groups(items)
    assert set(result) == {1, 2, 3}
    assert result[2] == DuplicateInfo(3, 3, 3, near_copies=True)


def test_short_near_copies_are_caught():
    items = [
        (1, "a", "u1", "Visit my profile for cheap watches and bags"),
        (2, "b", "u2", "Visit my profile for cheap watches and shoes"),
    ]
    assert set(find_duplicate_groups(items)) == {1, 2}


def test_unrelated_texts_are_not_grouped():
    rng = random.Random(5)
    vocabulary = [f"word{n}" for n in range(3000)]
    items = [
        (n, f"article-{n % 7}", f"user{n}", " ".join(rng.choices(vocabulary, k=rng.randint(4, 60))))
        for n in range(2000)
    ]
    assert find_duplicate_groups(items) == {}


def test_texts_sharing_a_common_phrase_are_not_grouped():
    opening = "I completely agree with the previous commenter about this, "
    items = [
        (1, "a", "u1", opening + "the mayor should resign before the summer recess begins."),
        (2, "b", "u2", opening + "although the new bus timetable looks better to me overall."),
    ]
    assert find_duplicate_groups(items) == {}


def test_short_texts_are_ignored():
    items = [(1, "a", "u1", "First!"), (2, "b", "u2", "first"), (3, "c", "u3", None)]
    assert find_duplicate_groups(items) == {}
    assert set(find_duplicate_groups(items[:2], min_chars=3)) == {1, 2}


def test_spam_among_many_comments_is_found_exactly():
    rng = random.Random(11)
    vocabulary = [f"w{n}" for n in range(5000)]
    items = []
    spam_ids = set()
    for n in range(5000):
        if n % 100 == 0:
            words = SPAM.split()
            words[rng.randrange(len(words))] = rng.choice(vocabulary)  # a small edit
            items.append((n, f"article-{n}", f"bot{n}", " ".join(words)))
            spam_ids.add(n)
        else:
            text = " ".join(rng.choices(vocabulary, k=rng.randint(5, 80)))
            items.append((n, f"article-{n % 40}", f"user{n}", text))
    result = find_duplicate_groups(items)
    assert set(result) == spam_ids
    assert {info.group_size for info in result.values()} == {len(spam_ids)}


def test_result_is_deterministic():
    items = [(n, f"t{n % 3}", f"u{n % 5}", f"{SPAM} variant {n % 4}") for n in range(40)]
    assert find_duplicate_groups(items) == find_duplicate_groups(list(items))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(), st.text(max_size=3), st.none() | st.text(max_size=5), st.text()),
        max_size=30,
    )
)
def test_never_crashes_and_only_marks_shared_texts(items):
    result = find_duplicate_groups(items, min_chars=1)
    for info in result.values():
        assert info.group_size >= 2
        assert info.threads >= 2 or info.authors >= 2
