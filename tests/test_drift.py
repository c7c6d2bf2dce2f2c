"""Off-topic drift (moderation.scoring.drift) and shared term handling (scoring.terms)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.scoring.drift import (
    DEFAULT_OFF_TOPIC_THRESHOLD,
    NO_EVIDENCE_DRIFT,
    SELF_LABEL_FLOOR,
    ArticleProfile,
    CorpusStats,
    ThreadContext,
    find_derail_point,
    find_self_label,
    score_drift,
    score_thread,
)
from moderation.scoring.everyday import (
    EVERYDAY_ZERO_ZIPF,
    FULL_WEIGHT_ZIPF,
    MIN_EVERYDAY_WEIGHT,
    everyday_weight,
    everyday_weights,
    weight_at_zipf,
)
from moderation.scoring.terms import STOP_WORDS, content_terms, has_digit, stem, tokenize

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "data" / "offtopic_eval.jsonl"
SEED_HUAWEI = ROOT / "seeds" / "000_d5ec5eac8c7d0052.txt"
SEED_RUSSIA_CHINA = ROOT / "seeds" / "003_b18330b4de0cd4a8.txt"

# The seed-000 thread exactly as published under the Huawei article.
SEED_THREAD = [
    "[…] The partnership of the sanctioned […]",
    "what ? – sanctions do not gain market share ?\nwho wudda thought",
    "more sanctions please ….. please…. . please\nMake Mama Rossiya Great Again",
    "A bit off topic, but sources from an extended grapevine tell me the Danes and Russians "
    "are planning discussions two weeks hence. Primarily focused on Greenland and mineral "
    "exploration.\n\nEnvironmental issues relating to waste dumps and water purification are "
    "included.",
    "Nothing new here! Americans commit the crimes then blame others. What is sad is people "
    "believe their lies…",
]
GREENLAND_INDEX = 3


def _eval_articles() -> dict[str, tuple[str, str]]:
    articles = {}
    for line in EVAL_FILE.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["type"] == "article":
            articles[entry["article_id"]] = (entry["title"], entry["body"])
    return articles


def _huawei_article() -> tuple[str, str]:
    title, rest = SEED_HUAWEI.read_text(encoding="utf-8").split("\n", 1)
    return title.strip(), rest.split("Source: Nikkei Review")[0].strip()


ARTICLES = _eval_articles()
# Corpus: the evaluation articles (which include the seed-000 article) plus seed 003, whose
# first line is not a headline, so it goes in untitled.
STATS = CorpusStats.from_articles(
    [*ARTICLES.values(), ("", SEED_RUSSIA_CHINA.read_text(encoding="utf-8"))]
)
HUAWEI = ArticleProfile.build(*_huawei_article(), STATS)
SANCTIONS = ArticleProfile.build(*ARTICLES["a12-russia-sanctions"], STATS)
FOOTBALL = ArticleProfile.build(*ARTICLES["a03-football-transfer"], STATS)
PROFILES = [ArticleProfile.build(title, body, STATS) for title, body in ARTICLES.values()]


# --------------------------------------------------------------------------- terms


def test_tokenize_lowercases_drops_punctuation_emoji_and_possessives():
    assert tokenize("Huawei's 5G—deal! Don't 😀 snake_case") == [
        "huawei",
        "5g",
        "deal",
        "dont",
        "snake",
        "case",
    ]
    assert tokenize("Ｆｕｌｌ width and naïve") == ["full", "width", "and", "naïve"]
    assert tokenize("") == []


@pytest.mark.parametrize(
    "forms",
    [
        ("sanctions", "sanctioned", "sanctioning", "sanction"),
        ("vaccine", "vaccines", "vaccinated", "vaccination"),
        ("rate", "rates", "rated"),
        ("transfer", "transfers", "transferred"),
        ("library", "libraries"),
        ("bus", "buses"),
    ],
)
def test_stem_maps_forms_of_a_word_together(forms):
    assert len({stem(form) for form in forms}) == 1


def test_stem_leaves_words_that_only_look_inflected():
    assert stem("analysis") == "analysis"
    assert stem("virus") == "virus"
    assert stem("glass") == "glass"


def test_content_terms_drop_stop_words_and_numbers_but_keep_names_like_5g():
    terms = content_terms("The £48m deal in 2019 was for 5G on the A59, lol")
    assert terms == ["deal", "5g", "a59"]
    assert {"the", "lol", "people", "dont"} <= STOP_WORDS


# --------------------------------------------------------------------------- corpus stats


def test_corpus_stats_count_documents_not_occurrences():
    stats = CorpusStats.from_documents(["huawei huawei huawei", "huawei rosplatforma", "sleet"])
    assert stats.document_count == 3
    assert stats.document_frequency["huawei"] == 2
    assert stats.document_frequency["rosplatforma"] == 1
    assert stats.idf("rosplatforma") > stats.idf("huawei")
    # A term no document uses counts as much as one a single document uses.
    assert stats.idf("greenland") == stats.idf("rosplatforma")


def test_everyday_words_count_less_however_few_articles_use_them():
    # "russia" and "town" each appear in one article, as "rosplatforma" does, but they are
    # everyday English words: they keep only their everyday weight of that idf.
    stats = CorpusStats.from_documents(["rosplatforma", "russia", "town"])
    assert everyday_weight("rosplatforma") == everyday_weight("greenland") == 1.0
    assert 0.0 < everyday_weight("town") < everyday_weight("russia") < 1.0
    for term in ("russia", "town"):
        assert stats.idf(term) == pytest.approx(stats.idf("rosplatforma") * everyday_weight(term))
    # The same holds for a term no article uses.
    assert stats.idf("best") == pytest.approx(stats.idf("greenland") * everyday_weight("best"))


def test_everyday_weight_falls_from_one_to_its_floor_with_frequency():
    assert weight_at_zipf(2.0) == weight_at_zipf(FULL_WEIGHT_ZIPF) == 1.0
    assert weight_at_zipf((FULL_WEIGHT_ZIPF + EVERYDAY_ZERO_ZIPF) / 2) == pytest.approx(0.5)
    assert weight_at_zipf(EVERYDAY_ZERO_ZIPF) == weight_at_zipf(9.0) == MIN_EVERYDAY_WEIGHT
    # Only terms that count less are listed; stop words are no terms at all.
    weights = everyday_weights()
    assert all(MIN_EVERYDAY_WEIGHT <= weight < 1.0 for weight in weights.values())
    assert {"town", "best", stem("summer")} <= weights.keys()
    assert "because" not in weights and "although" not in weights


def test_a_worker_adopts_its_parents_everyday_weights(monkeypatch):
    from moderation.scoring import everyday

    built = everyday_weights()
    monkeypatch.setattr(everyday, "_ADOPTED", None)
    try:
        everyday.adopt_everyday_weights({**built, "sourdough": 0.5})
        assert everyday_weights()["sourdough"] == 0.5  # the adopted table, not a fresh one
        assert CorpusStats(1, {}).idf("sourdough") == 0.5 * CorpusStats(1, {}).idf("qwzx")
    finally:
        everyday_weights.cache_clear()  # the next caller builds the real table again


def test_corpus_stats_record_each_terms_highest_salience_in_any_article():
    stats = CorpusStats.from_articles(ARTICLES.values())
    profiles = [ArticleProfile.build(title, body, stats) for title, body in ARTICLES.values()]
    for term in stats.document_frequency:
        assert stats.peak_salience[term] == max(p.salience.get(term, 0.0) for p in profiles)
    # A key term of some article peaks at 1; a word one article mentions once in passing
    # peaks lower; a word no article uses has no peak.
    assert stats.peak_salience["okafor"] == 1.0
    assert 0.0 < stats.peak_salience["hamstr"] < 0.6
    assert "sourdough" not in stats.peak_salience


def test_corpus_stats_from_documents_are_untitled_articles():
    texts = ["Striker signs. The striker scored.", "Heatwave warning for the region."]
    assert CorpusStats.from_documents(texts) == CorpusStats.from_articles(
        [("", text) for text in texts]
    )


def test_corpus_stats_survive_a_json_round_trip():
    restored = CorpusStats.from_dict(json.loads(json.dumps(STATS.to_dict())))
    assert restored == STATS
    assert restored.peak_salience == STATS.peak_salience and STATS.peak_salience
    assert all(restored.idf(term) == STATS.idf(term) for term in STATS.document_frequency)


def test_corpus_stats_from_an_older_dict_still_score():
    # Saved before peak saliences existed, with the peak frequencies that preceded them: read
    # as if no article were about any term, so nothing points to another article.
    old = {key: value for key, value in STATS.to_dict().items() if key != "peak_salience"}
    old["peak_frequency"] = {"okafor": 6}
    restored = CorpusStats.from_dict(old)
    assert restored.peak_salience == {}
    result = score_drift("Okafor!", SANCTIONS, [], restored)
    assert 0.0 <= result.score <= 1.0
    assert not any(reason.startswith("uses ") for reason in result.reasons)


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"document_count": "x", "document_frequency": {}},
        {"document_count": 1},
        {"document_count": 1, "document_frequency": ["a"]},
        {"document_count": -1, "document_frequency": {}},
        {"document_count": 1, "document_frequency": {"a": 1}, "peak_salience": {"a": 1.5}},
        {"document_count": 1, "document_frequency": {"a": 1}, "peak_salience": {"a": -0.1}},
        {"document_count": 1, "document_frequency": {"a": 1}, "peak_salience": {"a": "x"}},
        {"document_count": 1, "document_frequency": {"a": 1}, "peak_salience": ["a"]},
    ],
)
def test_corpus_stats_from_dict_rejects_malformed_data(bad):
    with pytest.raises(ValueError):
        CorpusStats.from_dict(bad)


def test_empty_corpus_and_empty_article_do_not_crash():
    stats = CorpusStats.from_documents([])
    article = ArticleProfile.build("", "", stats)
    result = score_drift("anything at all", article, [], stats)
    assert 0.0 <= result.score <= 1.0
    assert article.key_terms == ()


def test_article_profile_puts_title_subjects_among_key_terms():
    assert {"huawei", "russia"} <= set(HUAWEI.key_term_words())
    assert "sanctions" in SANCTIONS.key_term_words()
    assert all(HUAWEI.salience[term] == 1.0 for term in HUAWEI.key_terms)


# --------------------------------------------------------------------------- short comments


def test_short_comment_naming_the_subject_is_on_topic():
    result = score_drift("more sanctions please", SANCTIONS, [], STATS)
    assert result.score < 0.1
    assert result.shared_terms == ("sanctions",)
    assert result.reasons[0] == "shares 'sanctions' with the article"


def test_single_distinctive_term_counts_strongly():
    assert score_drift("Okafor!", FOOTBALL, [], STATS).score < 0.1
    assert score_drift("What a signing, Okafor will score 20", FOOTBALL, [], STATS).score < 0.3


def test_short_unrelated_comment_is_off_topic():
    result = score_drift("Lovely sunny weather for a barbecue", SANCTIONS, [], STATS)
    assert result.score >= DEFAULT_OFF_TOPIC_THRESHOLD
    assert "shares no key terms with the article" in result.reasons
    assert result.missing_terms
    assert any(reason.startswith("lacks ") for reason in result.reasons)


def test_long_on_topic_comment_scores_below_long_off_topic_comment():
    on_topic = (
        "Sanctions on Russian oil only work if someone enforces the price cap on the shadow "
        "fleet of tankers, and the EU has been far too slow with the banks as well."
    )
    off_topic = (
        "The new bakery on Castle Street does a brilliant sourdough and the staff are lovely, "
        "though parking nearby is a nightmare on Saturdays when the market is on."
    )
    on_score = score_drift(on_topic, SANCTIONS, [], STATS).score
    off_score = score_drift(off_topic, SANCTIONS, [], STATS).score
    assert on_score < DEFAULT_OFF_TOPIC_THRESHOLD <= off_score


def test_comment_without_content_words_gives_no_evidence():
    for text in ("", "+1", "😀😀😀", "lol yes"):
        result = score_drift(text, SANCTIONS, [], STATS)
        assert result.score == NO_EVIDENCE_DRIFT
        assert result.article_similarity is None
        assert result.reasons == ("has no content words to compare with the article",)


# --------------------------------------------------------------------------- other articles

# A corpus of three small articles, so that a word's standing is plain: "striker" and
# "transfer" are what the football article is about, "sourdough" and "bakery" no article uses.
TINY_ARTICLES = {
    "football": (
        "Striker transfer agreed",
        "The striker transfer was agreed on Friday. The striker passed a medical and the "
        "transfer fee beat the club record. Fans welcomed the striker at the stadium; the "
        "manager praised his pace, and the transfer ends a long search for goals.",
    ),
    "heat": (
        "Heatwave warning issued",
        "A heatwave warning covers the region. The heatwave will bring temperatures above 34C "
        "and the warning advises drinking water, avoiding the sun at midday, and checking on "
        "elderly neighbours. Schools will keep children indoors while the heatwave lasts.",
    ),
    "council": (
        "Council budget cuts libraries",
        "The council budget closes four libraries. Councillors voted for the budget after a "
        "long debate; the council says reserves are low, and council tax will rise by 4.9% "
        "as libraries shorten their opening hours.",
    ),
}
TINY_STATS = CorpusStats.from_articles(TINY_ARTICLES.values())
TINY = {name: ArticleProfile.build(*article, TINY_STATS) for name, article in TINY_ARTICLES.items()}


def test_another_articles_subject_drifts_more_than_words_no_article_uses():
    # Same number of terms, nothing matched: the article explains neither, and if anything
    # "striker transfer", being commoner words, is the weaker evidence of drift. Only what
    # other articles are about tells them apart.
    elsewhere = score_drift("striker transfer", TINY["heat"], [], TINY_STATS)
    chatter = score_drift("sourdough bakery", TINY["heat"], [], TINY_STATS)
    assert elsewhere.article_similarity >= chatter.article_similarity
    assert elsewhere.score > chatter.score + 0.2
    assert "uses 'striker', 'transfer', which other articles are about" in elsewhere.reasons
    assert not any(reason.startswith("uses ") for reason in chatter.reasons)
    # Under its own article the same comment is on topic, and nothing points elsewhere.
    at_home = score_drift("striker transfer", TINY["football"], [], TINY_STATS)
    assert at_home.score < 0.1
    assert not any(reason.startswith("uses ") for reason in at_home.reasons)


def test_a_word_another_article_mentions_in_passing_counts_less_than_its_subject():
    # One article each uses "hamstring" (once, in passing) and "Okafor" (its subject, six
    # times); no article uses "sourdough". All three have the same idf.
    assert STATS.idf("hamstr") == STATS.idf("okafor") == STATS.idf("sourdough")
    passing = score_drift("hamstring", SANCTIONS, [], STATS)
    subject = score_drift("Okafor", SANCTIONS, [], STATS)
    chatter = score_drift("sourdough", SANCTIONS, [], STATS)
    assert chatter.score < passing.score < subject.score
    assert "uses 'okafor', which other articles are about" in subject.reasons
    assert not any(reason.startswith("uses ") for reason in passing.reasons)


def test_another_articles_subject_counts_the_same_under_any_article():
    # How much the transfer story is about "Okafor" is measured on that story's own scale,
    # so the word points there equally strongly whichever article the comment sits under,
    # long (Huawei, 963 words) or short.
    elsewhere = [
        score_drift("Okafor!", profile, [], STATS)
        for profile in PROFILES
        if "okafor" not in profile.salience
    ]
    assert len(elsewhere) == len(PROFILES) - 1
    assert len({result.score for result in elsewhere}) == 1
    assert all("uses 'okafor', which other articles are about" in r.reasons for r in elsewhere)


def test_words_the_thread_has_taken_up_do_not_point_to_another_article():
    # A reply that follows its parent into the transfer story is part of the conversation
    # under this article, not a comment meant for that story.
    reply = "Okafor is the striker the club needed"
    parent = "Off topic, but has anyone seen the Okafor transfer? Club record for a striker"
    alone = score_drift(reply, SANCTIONS, [], STATS)
    following = score_drift(reply, SANCTIONS, [parent], STATS)
    assert any(reason.startswith("uses ") for reason in alone.reasons)
    assert not any(reason.startswith("uses ") for reason in following.reasons)
    assert following.score < alone.score
    # Said earlier in the thread, not by the parent, the words point elsewhere half as much.
    earlier = score_drift(reply, SANCTIONS, ["Sanctions never work", parent], STATS)
    assert following.score < earlier.score < alone.score


def test_other_articles_do_not_move_a_comment_its_article_explains_as_well():
    # Half about the football article, half about this one: matched evidence is not exceeded.
    mixed = score_drift("heatwave striker", TINY["heat"], [], TINY_STATS)
    # The same statistics without other articles' subjects (no peak saliences).
    blind = CorpusStats(TINY_STATS.document_count, TINY_STATS.document_frequency)
    assert mixed.score == score_drift("heatwave striker", TINY["heat"], [], blind).score
    assert not any(reason.startswith("uses ") for reason in mixed.reasons)


def test_on_topic_comment_moved_under_another_article_outranks_labelled_chatter():
    # The swap test in miniature: a football comment under the sanctions article must score
    # above self-labelled chatter under it, and both are called off topic.
    moved = score_drift(
        "Okafor is the striker the club needed, worth every penny of the transfer fee",
        SANCTIONS,
        [],
        STATS,
    )
    chatter = score_drift(
        "OT: lovely sourdough at the new bakery on Castle Street, the croissants are superb",
        SANCTIONS,
        [],
        STATS,
    )
    assert moved.score > chatter.score >= DEFAULT_OFF_TOPIC_THRESHOLD
    assert any(reason.startswith("uses ") and "'okafor'" in reason for reason in moved.reasons)
    at_home = score_drift(
        "Okafor is the striker the club needed, worth every penny of the transfer fee",
        FOOTBALL,
        [],
        STATS,
    )
    assert at_home.score < DEFAULT_OFF_TOPIC_THRESHOLD


# --------------------------------------------------------------------------- self-labels


@pytest.mark.parametrize(
    ("prefix", "label"),
    [
        ("A bit off topic, but", "a bit off topic, but"),
        ("OT:", "OT:"),
        ("off-topic:", "off-topic"),
        ("Unrelated, but", "unrelated, but"),
        ("Not related to the article, but", "not related to the article"),
        ("Slightly off-topic, but", "slightly off-topic, but"),
        ("Sorry for going off topic, but", "sorry for going off topic, but"),
        ("Changing the subject,", "changing the subject"),
        ("On another note,", "on another note"),
    ],
)
def test_self_labels_are_recognised_and_raise_drift(prefix, label):
    comment = "the sanctions on Russian oil tankers will not stop the shadow fleet"
    plain = score_drift(comment, SANCTIONS, [], STATS)
    labelled = score_drift(f"{prefix} {comment}", SANCTIONS, [], STATS)
    assert find_self_label(f"{prefix} {comment}") == label
    assert labelled.self_label == label
    assert labelled.score > plain.score
    assert labelled.score >= DEFAULT_OFF_TOPIC_THRESHOLD
    assert f"labels itself off topic ('{label}')" in labelled.reasons
    # The label's own words ("topic", "unrelated", "subject", "note") are not what the
    # comment is about: its terms are those of the words after the label.
    assert labelled.article_similarity == plain.article_similarity
    assert labelled.shared_terms == plain.shared_terms


def test_self_label_words_do_not_count_as_another_articles_subject():
    # "Completely" is a word some article uses, "topic" no article's subject: neither is
    # what the comment talks about, so the label adds nothing but itself.
    words = "the new bakery on Castle Street does the best sourdough"
    plain = score_drift(words, SANCTIONS, [], STATS)
    labelled = score_drift(f"Completely off topic, but {words}", SANCTIONS, [], STATS)
    assert labelled.article_similarity == plain.article_similarity
    assert labelled.score == max(plain.score, SELF_LABEL_FLOOR)


def test_self_label_sets_a_floor_and_the_words_decide_above_it():
    # On-topic words: the label alone makes it off topic, at the floor.
    assert score_drift("OT: more sanctions please", SANCTIONS, [], STATS).score == SELF_LABEL_FLOOR
    # Words that drift further than the floor decide the score above it.
    words = "Okafor is the striker the club needed, worth every penny of the transfer fee"
    labelled = score_drift(f"Off topic, but {words}", SANCTIONS, [], STATS)
    assert labelled.score > SELF_LABEL_FLOOR
    assert labelled.score >= score_drift(words, SANCTIONS, [], STATS).score - 0.01


@pytest.mark.parametrize(
    "text",
    [
        "This is not off topic at all, sanctions matter",
        "The two things are unrelated.",
        "I got: nothing",
        "Note the date of the package",
        "Hot topic this week",
    ],
)
def test_denials_and_ordinary_words_are_not_self_labels(text):
    assert find_self_label(text) is None


# --------------------------------------------------------------------------- the seed thread


def test_seed_article_in_eval_file_matches_the_seed():
    assert ARTICLES["a01-huawei-russia"] == _huawei_article()


def test_greenland_comment_is_the_most_off_topic_of_the_seed_thread():
    results = score_thread([(text, None) for text in SEED_THREAD], HUAWEI, STATS)
    scores = [result.score for result in results]
    assert max(range(len(scores)), key=scores.__getitem__) == GREENLAND_INDEX
    assert scores.count(max(scores)) == 1
    greenland = results[GREENLAND_INDEX]
    assert greenland.self_label == "a bit off topic, but"
    assert "labels itself off topic ('a bit off topic, but')" in greenland.reasons
    assert greenland.is_off_topic()
    # The comments about sanctions share the article's subject.
    assert "sanctions" in results[1].shared_terms
    assert not results[1].is_off_topic()


def test_score_drift_with_explicit_context_agrees_with_score_thread():
    by_thread = score_thread([(text, None) for text in SEED_THREAD], HUAWEI, STATS)
    for index, text in enumerate(SEED_THREAD):
        before = SEED_THREAD[:index][::-1]  # previous comment first, then the earlier ones
        assert score_drift(text, HUAWEI, before, STATS) == by_thread[index]


# --------------------------------------------------------------------------- thread


def test_reply_that_follows_its_parent_drifts_less_than_the_same_text_alone():
    reply = "The Eurovision jury vote is rigged every single year"
    parent = "Sorry for going off topic, but who else thinks the Eurovision voting is rigged?"
    alone = score_drift(reply, SANCTIONS, [], STATS)
    following = score_drift(reply, SANCTIONS, [parent], STATS)
    assert following.score < alone.score
    assert following.thread_similarity is not None and following.thread_similarity > 0.5
    assert any(reason.startswith("picks up ") for reason in following.reasons)


def test_comment_unlike_its_thread_says_so():
    thread = ["Sanctions never work", "The shadow fleet carries the oil anyway"]
    result = score_drift("My broadband has been down for days", SANCTIONS, thread, STATS)
    assert result.thread_similarity == 0.0
    assert "unlike the thread so far" in result.reasons


def test_score_thread_uses_the_parent_index():
    comments = [
        ("Off topic, but the Eurovision voting is rigged", None),
        ("Sanctions on the banks are what matter", None),
        ("The Eurovision jury is a joke", 0),
    ]
    with_parent = score_thread(comments, SANCTIONS, STATS)[2]
    as_top_level = score_thread([*comments[:2], (comments[2][0], None)], SANCTIONS, STATS)[2]
    assert with_parent.score < as_top_level.score


# --------------------------------------------------------------------------- derail point


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], None),
        ([0.1, 0.2, 0.1, 0.3], None),
        ([0.1, 0.2, 0.9, 0.8, 0.95], 2),
        # Off topic for a while, then back on topic for good: not derailed.
        ([0.9, 0.9, 0.9, 0.1, 0.1, 0.1], None),
        # One on-topic comment inside the drifting stretch does not end it...
        ([0.1, 0.9, 0.2, 0.9, 0.9, 0.9], 1),
        # ...two in a row do; the derail point is after them.
        ([0.9, 0.1, 0.1, 0.9, 0.9, 0.9], 3),
        # Fewer than min_run comments after the first drifting one: too early to say.
        ([0.1, 0.1, 0.9, 0.9], None),
    ],
)
def test_find_derail_point(scores, expected):
    assert find_derail_point(scores, threshold=0.5, min_run=3) == expected


def test_find_derail_point_with_min_run_one_needs_every_later_score_high():
    assert find_derail_point([0.9, 0.1, 0.7, 0.8], threshold=0.5, min_run=1) == 2
    with pytest.raises(ValueError):
        find_derail_point([0.9], min_run=0)


# --------------------------------------------------------------------------- properties

any_text = st.text(max_size=300)
context_texts = st.lists(st.text(max_size=80), max_size=4)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=any_text,
    context=context_texts,
    profile=st.sampled_from(PROFILES),
    data=st.data(),
)
def test_adding_key_terms_never_raises_drift(text, context, profile, data):
    extra = data.draw(st.lists(st.sampled_from(profile.key_term_words()), min_size=1))
    before = score_drift(text, profile, context, STATS)
    after = score_drift(f"{text} {' '.join(extra)}", profile, context, STATS)
    assert after.score <= before.score


@settings(max_examples=200)
@given(text=any_text, context=context_texts, profile=st.sampled_from(PROFILES))
def test_score_is_in_range_and_repeatable(text, context, profile):
    first = score_drift(text, profile, context, STATS)
    assert 0.0 <= first.score <= 1.0
    assert first.score == round(first.score, 4)
    assert score_drift(text, profile, context, STATS) == first
    restored = CorpusStats.from_dict(json.loads(json.dumps(STATS.to_dict())))
    assert score_drift(text, profile, context, restored) == first


def test_huge_and_hostile_texts_do_not_crash():
    huge = ("sanctions 😀 \u0000 \u200b ｆｕｌｌ " * 50_000) + "Ω" * 100_000
    for text in (huge, "\x00" * 1000, "'" * 500, "’s" * 500, "OT:" * 1000, "off topic " * 5000):
        result = score_drift(text, SANCTIONS, [text[:1000]], STATS)
        assert 0.0 <= result.score <= 1.0


_CROSS_PROCESS_SCRIPT = """
import json, sys
from moderation.scoring.drift import ArticleProfile, CorpusStats, score_drift
request = json.load(sys.stdin)
stats = CorpusStats.from_dict(request["stats"])
article = ArticleProfile.build(request["title"], request["body"], stats)
print(json.dumps([score_drift(text, article, request["context"], stats).to_dict()
                  for text in request["texts"]]))
"""


@pytest.mark.parametrize("hash_seed", ["1", "4242"])
def test_scores_are_identical_in_another_process(hash_seed):
    title, body = ARTICLES["a12-russia-sanctions"]
    texts = [*SEED_THREAD, "more sanctions please", "OT: Eurovision", "Enforce the price cap"]
    context = ["Sanctions hurt ordinary Russians", "The shadow fleet is the real issue"]
    request = {
        "stats": STATS.to_dict(),
        "title": title,
        "body": body,
        "texts": texts,
        "context": context,
    }
    completed = subprocess.run(
        [sys.executable, "-c", _CROSS_PROCESS_SCRIPT],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    here = [score_drift(text, SANCTIONS, context, STATS).to_dict() for text in texts]
    assert json.loads(completed.stdout) == here


# --------------------------------------------------------------------------- speed


def test_scoring_a_hundred_word_comment_is_cheap():
    words = ARTICLES["a05-interest-rates"][1].split()
    comments = [" ".join(words[start : start + 100]) for start in range(0, 200, 2)] * 10
    context = ThreadContext.build(comments[:3])
    profile = PROFILES[4]
    score_drift(comments[0], profile, context, STATS)  # warm the term cache
    started = time.process_time()
    for comment in comments:
        score_drift(comment, profile, context, STATS)
    per_second = len(comments) / max(time.process_time() - started, 1e-9)
    # A loose floor that only catches pathological slow-downs; the measured figure on the
    # development machine is in the module report (several thousand per second even on a
    # slow shared core).
    assert per_second > 1_000


def test_corpus_statistics_read_the_articles_twice_so_an_iterator_is_refused():
    with pytest.raises(TypeError, match="twice"):
        CorpusStats.from_articles(iter(ARTICLES.values()))


@given(st.text(alphabet=st.sampled_from("a 09x٣①²") | st.characters(), max_size=40))
def test_has_digit_finds_what_the_expression_finds(text):
    assert has_digit(text) == (re.search(r"\d", text) is not None)
