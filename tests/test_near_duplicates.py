"""Near copies by MinHash: edited variants of one text meet, unrelated and short texts do not."""

import random

from hypothesis import given
from hypothesis import strategies as st

from moderation.scoring.duplicates import normalise_for_matching, normalised_words
from moderation.scoring.flags import near_duplicate_flag
from moderation.scoring.near_duplicates import (
    BANDS,
    MIN_WORDS,
    SIGNATURE_BYTES,
    are_near_copies,
    estimated_similarity,
    near_duplicate_keys,
    near_duplicate_keys_of_normalised,
    shingles,
    shingles_of_normalised,
)

SPAM = (
    "Earn $500 a day working from home with my simple online system, no experience "
    "needed, visit my profile to start today"
)
VARIANTS = [
    # numbers changed, punctuation and case changed
    "EARN $600 a day working from home with my simple online system!!! No experience "
    "needed - visit my profile to start today.",
    # a word substituted, one inserted
    "Earn $500 a day working from home with my easy online system, no experience "
    "needed at all, visit my profile to start today",
    # a word dropped, a number changed
    "Earn $750 a day working from home with my simple system, no experience needed, "
    "visit my profile to start today",
]
UNRELATED = [
    "The council should publish the whole budget before the vote, not a summary of it",
    "I walked along the river this morning and the flood water had already gone down",
    "Earn your place in the team by training harder than anyone else, the manager said",
]


def keys(text):
    result = near_duplicate_keys(text)
    assert result is not None, text
    return result


def shares_a_band(a, b) -> bool:
    return bool(set(keys(a).band_keys) & set(keys(b).band_keys))


def test_edited_variants_are_near_copies_and_meet_in_a_band():
    for variant in VARIANTS:
        assert are_near_copies(keys(SPAM).signature, keys(variant).signature), variant
        assert shares_a_band(SPAM, variant), variant


def test_numbers_punctuation_and_case_are_not_edits():
    assert shingles("Call 555-0199 NOW, win £1,000!!! Claim your prize") == shingles(
        "call 555 0123 now win £2 000 claim your prize"
    )
    assert estimated_similarity(keys(SPAM).signature, keys(VARIANTS[0]).signature) == 1.0


def test_unrelated_texts_are_not_near_copies():
    texts = [SPAM, *UNRELATED]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert not are_near_copies(keys(a).signature, keys(b).signature), (a, b)


def test_random_texts_from_a_small_vocabulary_are_not_near_copies():
    """Sixty common words make many shared word pairs, but few shared 3-word shingles."""
    words = (
        "the a of to and in that it is was for on with as this by be are at from not but "
        "they have we you what all would there their if so about people just more can one "
        "will no think really because even still only much why how government said time"
    ).split()
    rng = random.Random(3)
    texts = [" ".join(rng.choices(words, k=rng.randint(8, 60))) for _ in range(300)]
    signatures = [keys(text).signature for text in texts]
    matches = sum(
        are_near_copies(a, b)
        for i, a in enumerate(signatures)
        for b in signatures[i + 1 :]  # 44,850 pairs
    )
    assert matches == 0


def test_short_texts_have_no_signature():
    for text in ["I agree", "Totally agree with this.", "Great article, thanks a lot!", ""]:
        assert len(text.split()) < MIN_WORDS
        assert shingles(text) == []
        assert near_duplicate_keys(text) is None


def test_signatures_are_compact_and_the_same_in_every_run():
    first = keys(SPAM)
    assert len(first.signature) == SIGNATURE_BYTES == 128
    assert len(first.band_keys) == BANDS
    assert all(0 <= key < 2**31 for key in first.band_keys)  # 4 bytes in SQLite
    assert keys(SPAM) == first
    assert estimated_similarity(first.signature, b"short") == 0.0


def test_the_flag_names_its_campaign_and_how_widely_it_spread():
    flag = near_duplicate_flag(42, size=20, threads=18, authors=1)
    assert flag.reason == "near-duplicate of 19 comments in campaign #42, on 18 threads"
    assert flag.detail["campaign"] == 42 and flag.weight_key == "near_duplicate"
    two = near_duplicate_flag(7, size=2, threads=1, authors=2)
    assert two.reason == "near-duplicate of 1 comment in campaign #7, by 2 authors"


@given(st.text(alphabet=st.sampled_from("ab1 ٣é.\n") | st.characters(), max_size=60))
def test_the_scorers_words_give_the_shingles_of_the_text(text):
    # The scorer hands over the normalised text's words rather than have them split again.
    words = normalised_words(text)
    normalised = normalise_for_matching(text)
    assert " ".join(words) == normalised
    assert shingles_of_normalised(normalised, words) == shingles(text)
    assert near_duplicate_keys_of_normalised(normalised, words) == near_duplicate_keys(text)
