"""The batch runner over a real database: what gets scored, when, and what is stored."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from moderation import scoring_runner
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import (
    Article,
    Comment,
    CommentFlag,
    CommentScore,
    ThreadSummary,
    WatchWordEntry,
)
from moderation.scoring.drift import CorpusStats
from moderation.scoring.sentiment import SentenceScore, driving_sentence
from moderation.scoring_runner import count_stale, score_stale
from moderation.settings import current_scoring_config, update_scoring_settings

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def import_seed(name: str = "000_d5ec5eac8c7d0052.txt") -> None:
    with open(SEEDS / name, "rb") as stream:
        assert import_stream(db.session, stream, name).succeeded


def import_csv(text: str, name: str = "extra.csv") -> None:
    assert import_stream(db.session, io.BytesIO(text.encode()), name).succeeded


def scores_by_author() -> dict[str, CommentScore]:
    rows = db.session.execute(
        sa.select(Comment.author_name, CommentScore).join(
            CommentScore, CommentScore.comment_id == Comment.id
        )
    )
    return {author: score for author, score in rows}


def test_every_imported_comment_gets_scores_with_reasons(app):
    import_seed()
    summary = score_stale(db.session)
    assert summary.comments_scored == 5
    scores = scores_by_author()
    assert set(scores) == {"", "BillA", "Canosin", "thomas malthaus", "cap960"}
    most_off_topic = max(scores, key=lambda author: scores[author].drift)
    assert most_off_topic == "thomas malthaus"
    thomas = scores["thomas malthaus"]
    assert thomas.self_label and "off topic" in thomas.self_label.lower()
    assert any(reason.startswith("off topic") for reason in thomas.priority_reasons)
    cap = scores["cap960"]
    assert cap.sentiment_label == "negative"
    assert "sad" in [word for word, _ in cap.sentiment_words]
    # The sentence driving it is worked out from the text when the comment is shown.
    cap_text = db.session.scalar(sa.select(Comment.body).where(Comment.author_name == "cap960"))
    assert driving_sentence(cap_text, cap.sentiment_label).text == (
        "What is sad is people believe their lies…"
    )
    assert [flag["code"] for flag in scores[""].flags] == ["pingback"]
    priorities = dict(db.session.execute(sa.select(Comment.author_name, Comment.priority)).all())
    assert priorities == {author: score.priority for author, score in scores.items()}


FLAGS = scoring_runner.SCORE_COLUMNS.index("flags")


def test_stored_scores_are_what_the_scorers_said(app):
    """The runner writes rows straight to the driver: nothing may be lost on the way."""
    import_seed()
    before = datetime.now(UTC)
    score_stale(db.session)
    after = datetime.now(UTC)
    config = current_scoring_config(db.session)
    scorer = scoring_runner.ThreadScorer(scoring_runner.corpus_stats(db.session), config, "h")
    article_ids = [db.session.scalar(sa.select(Comment.article_id))]
    [task] = scoring_runner._load_tasks(db.session, article_ids, sa.true(), rescore_all=True)
    expected = {row[0]: row for row in scorer.score(task, scored_at=None).scores}
    db.session.expire_all()
    for score in db.session.scalars(sa.select(CommentScore)):
        stored = tuple(getattr(score, name) for name in scoring_runner.SCORE_COLUMNS)
        wanted = expected[score.comment_id]
        for name, got, made in zip(scoring_runner.SCORE_COLUMNS, stored, wanted, strict=True):
            if name == "scored_at":
                assert before - timedelta(seconds=1) <= got <= after
            elif name == "config_hash":
                assert got == config.hash()
            elif isinstance(CommentScore.__table__.c[name].type, sa.JSON):
                assert got == json.loads(made), name
            else:
                assert got == made, name
    codes = sorted(db.session.execute(sa.select(CommentFlag.comment_id, CommentFlag.code)).all())
    assert codes == sorted(
        (row[0], flag["code"]) for row in expected.values() for flag in json.loads(row[FLAGS])
    )


def test_nothing_is_rescored_until_something_changes(app):
    import_seed()
    score_stale(db.session)
    assert count_stale(db.session) == 0
    assert score_stale(db.session).comments_scored == 0
    assert score_stale(db.session, rescore_all=True).comments_scored == 5


def test_a_configuration_change_makes_every_score_stale(app):
    import_seed()
    score_stale(db.session)
    before = current_scoring_config(db.session).hash()
    update_scoring_settings(db.session, {"weights": {"negative_sentiment": 9.0}})
    assert current_scoring_config(db.session).hash() != before
    assert count_stale(db.session) == 5
    score_stale(db.session)
    bill = scores_by_author()["BillA"]
    assert bill.config_hash == current_scoring_config(db.session).hash()


def _analysis_and_priorities() -> tuple[dict, dict]:
    """Per author: what sentiment, drift and flags stored (and when), and the priority."""
    db.session.expire_all()
    analysis, priorities = {}, {}
    for author, score in scores_by_author().items():
        analysis[author] = (
            score.compound,
            score.sentiment_label,
            score.sentiment_words,
            score.drift,
            score.drift_reasons,
            score.flags,
            score.scored_at,
        )
        priorities[author] = (score.priority, score.priority_reasons)
    comment_priorities = dict(
        db.session.execute(sa.select(Comment.author_name, Comment.priority)).all()
    )
    assert comment_priorities == {author: p for author, (p, _) in priorities.items()}
    return analysis, priorities


def test_a_weight_change_recomputes_priorities_only(app, monkeypatch):
    import_seed()
    score_stale(db.session)
    analysis, priorities = _analysis_and_priorities()
    update_scoring_settings(db.session, {"weights": {"negative_sentiment": 9.0}})
    assert count_stale(db.session) == 5

    def no_scoring(*args, **kwargs):
        raise AssertionError("sentiment or drift computed again")

    monkeypatch.setattr(scoring_runner.ThreadScorer, "score", no_scoring)
    monkeypatch.setattr(scoring_runner.SentimentScorer, "score", no_scoring)
    monkeypatch.setattr(scoring_runner, "score_thread", no_scoring)
    monkeypatch.setattr(scoring_runner, "corpus_stats", no_scoring)
    summary = score_stale(db.session)
    assert (summary.comments_scored, summary.reprioritised) == (0, 5)
    assert count_stale(db.session) == 0
    again, reprioritised = _analysis_and_priorities()
    assert again == analysis  # the same rows, not even scored again
    assert reprioritised["cap960"][0] > priorities["cap960"][0]  # the negative one
    assert scores_by_author()["cap960"].config_hash == current_scoring_config(db.session).hash()

    # The priorities are the ones scoring everything afresh gives.
    monkeypatch.undo()
    assert score_stale(db.session, rescore_all=True).comments_scored == 5
    assert _analysis_and_priorities()[1] == reprioritised


def test_a_threshold_change_still_rescores_in_full(app):
    import_seed()
    score_stale(db.session)
    update_scoring_settings(db.session, {"off_topic_threshold": 0.7})
    summary = score_stale(db.session)
    assert (summary.comments_scored, summary.reprioritised) == (5, 0)


def test_invalid_settings_are_refused_and_nothing_stored(app):
    with pytest.raises(ValueError, match="must be a number"):
        update_scoring_settings(db.session, {"off_topic_threshold": "high"})
    with pytest.raises(ValueError, match="unknown scoring settings"):
        update_scoring_settings(db.session, {"colour": "red"})
    assert count_stale(db.session) == 0


def test_an_edited_comment_alone_becomes_stale(app):
    csv_header = "article_id,article_title,article_body,comment_id,author,text\n"
    row = "a1,Bus lanes,The council approved bus lanes on High Street.,{id},{author},{text}\n"
    import_csv(
        csv_header
        + row.format(id=1, author="Ann", text="Bus lanes are great")
        + row.format(id=2, author="Bo", text="Terrible idea")
    )
    score_stale(db.session)
    import_csv(
        csv_header
        + row.format(id=1, author="Ann", text="Bus lanes are great")
        + row.format(id=2, author="Bo", text='"Terrible, terrible idea"')
    )
    assert count_stale(db.session) == 1
    assert score_stale(db.session).comments_scored == 1


def test_duplicate_text_on_two_threads_is_flagged_on_both(app):
    spam = "Earn 5000 dollars a week from home and visit my profile for details"
    import_csv(
        "article_id,article_title,article_body,comment_id,author,text\n"
        f"a1,Budget,The council budget.,1,Ann,{spam}\n"
        "a1,Budget,The council budget.,2,Bo,The budget is too small\n"
        f"a2,Floods,River levels rose.,3,Cy,{spam}\n"
    )
    summary = score_stale(db.session)
    assert summary.duplicates_flagged == 2
    flagged = db.session.scalars(
        sa.select(CommentFlag.comment_id).where(CommentFlag.code == "duplicate")
    ).all()
    external = db.session.scalars(
        sa.select(Comment.external_id).where(Comment.id.in_(flagged)).order_by(Comment.external_id)
    ).all()
    assert external == ["1", "3"]
    score = db.session.get(CommentScore, flagged[0])
    assert any("same text as 1 other comment" in reason for reason in score.priority_reasons)


def test_a_copy_arriving_later_flags_the_original_too(app):
    spam = "Cheap watches and bags at my site with best prices guaranteed for all"
    import_csv(
        f"article_id,article_title,article_body,comment_id,author,text\na1,T,B,1,Ann,{spam}\n"
    )
    score_stale(db.session)
    import_csv(
        f"article_id,article_title,article_body,comment_id,author,text\na2,U,C,9,Zed,{spam}\n",
        name="later.csv",
    )
    score_stale(db.session)
    codes = db.session.scalars(sa.select(CommentFlag.code).where(CommentFlag.code == "duplicate"))
    assert len(codes.all()) == 2


def test_watch_words_flag_and_raise_priority(app):
    import_seed()
    score_stale(db.session)
    before = scores_by_author()["Canosin"].priority
    db.session.add(WatchWordEntry(phrase="mama rossiya", match="word", action="hold"))
    db.session.commit()
    assert count_stale(db.session) == 5
    score_stale(db.session)
    canosin = scores_by_author()["Canosin"]
    assert [flag["code"] for flag in canosin.flags] == ["watchword"]
    assert canosin.priority > before


def test_the_derail_point_is_stored_per_thread(app):
    import_seed()  # other articles, so that the corpus knows which words are distinctive
    import_seed("003_b18330b4de0cd4a8.txt")
    rows = ["article_id,article_title,article_body,comment_id,author,text"]
    body = "The council approved new bus lanes on High Street after a long consultation."
    on_topic = ["Bus lanes will help", "High Street traffic is awful", "The consultation was fair"]
    # Chatter as it comes: questions to other readers, a self-label, thanks (no commas: it is
    # a CSV). Plain one-line statements sharing nothing with a one-sentence article score
    # about 0.35, since drift also weighs a comment's form (docs/scoring.md, known limits).
    off_topic = [
        "Anyone watch the snooker final last night? What a comeback in the deciding frame",
        "Totally unrelated but my cat knocked over a vase this morning",
        "Does anyone have a good pizza recipe? Mine always comes out soggy",
        "Thanks for the tip about the seaside: we loved the ice cream on the pier",
    ]
    for number, text in enumerate(on_topic + off_topic, start=1):
        rows.append(f"a1,Bus lanes approved,{body},{number},User{number},{text}")
    import_csv("\n".join(rows) + "\n")
    score_stale(db.session)
    bus_lanes = db.session.scalar(sa.select(Comment.article_id).where(Comment.external_id == "1"))
    summary = db.session.get(ThreadSummary, bus_lanes)
    assert summary.derail_comment_id is not None
    derail = db.session.get(Comment, summary.derail_comment_id)
    assert derail.body == off_topic[0]


def test_two_processes_give_the_same_scores_as_one(app, monkeypatch):
    import_seed()
    import_seed("003_b18330b4de0cd4a8.txt")
    monkeypatch.setattr(scoring_runner, "BATCH_COMMENTS", 1)
    score_stale(db.session, workers=1)
    one = {
        s.comment_id: (s.compound, s.drift, s.priority, s.flags)
        for s in db.session.scalars(sa.select(CommentScore))
    }
    summary = score_stale(db.session, rescore_all=True, workers=2)
    assert summary.workers == 2 and summary.comments_scored == 5
    two = {
        s.comment_id: (s.compound, s.drift, s.priority, s.flags)
        for s in db.session.scalars(sa.select(CommentScore))
    }
    assert one == two


def test_an_interrupted_run_keeps_finished_batches_and_resumes(app, monkeypatch):
    import_csv(
        "article_id,article_title,article_body,comment_id,author,text\n"
        + "".join(f"a{n},Title {n},Body {n}.,{n},Ann,Comment {n}\n" for n in range(1, 4))
    )
    monkeypatch.setattr(scoring_runner, "BATCH_COMMENTS", 1)
    batches_done = []

    def interrupt_after_first(scored: int, total: int) -> None:
        batches_done.append(scored)
        if len(batches_done) == 1:
            raise KeyboardInterrupt

    summary = score_stale(db.session, progress=interrupt_after_first)
    assert summary.interrupted and summary.comments_scored == 1
    assert count_stale(db.session) == 2
    assert score_stale(db.session).comments_scored == 2
    assert count_stale(db.session) == 0


# JSON of the stored explanations: what scores are made of, nested.
json_leaves = (
    st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers()
    | st.booleans()
    | st.none()
)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.lists(json_values, max_size=5))
def test_explanations_are_encoded_as_the_standard_library_would(value):
    # The same values; a float may be written differently (0.00006103515625, 6.1e-05).
    standard = json.dumps(value, ensure_ascii=False)
    assert json.loads(scoring_runner._to_json(value)) == json.loads(standard)


def test_named_tuples_and_lone_surrogates_are_encoded_too():
    sentence = SentenceScore(text="Broken \ud800 text.", compound=-0.25)
    assert scoring_runner._to_json((sentence,)) == '[["Broken \ud800 text.",-0.25]]'


def test_corpus_statistics_stream_every_article_from_the_database(app):
    import_seed()
    import_seed("003_b18330b4de0cd4a8.txt")
    articles = db.session.execute(sa.select(Article.title, Article.body)).all()
    assert len(articles) == 2
    expected = CorpusStats.from_articles([tuple(row) for row in articles])
    assert scoring_runner.corpus_stats(db.session) == expected


def test_corpus_statistics_are_kept_until_an_article_is_added_or_changed(app):
    import_seed()
    first = scoring_runner.corpus_stats(db.session)
    assert scoring_runner.corpus_stats(db.session) is first  # not read again
    article = db.session.scalars(sa.select(Article)).one()
    article.body += " Unrelated words about football."
    article.updated_at = datetime.now(UTC)  # as ingest sets it with the text
    db.session.commit()
    changed = scoring_runner.corpus_stats(db.session)
    assert changed is not first and "football" in changed.document_frequency
    import_seed("003_b18330b4de0cd4a8.txt")
    assert scoring_runner.corpus_stats(db.session).document_count == 2


def _every_priority() -> dict[int, tuple]:
    """Per comment: its score's priority and reasons, and the comment's own priority."""
    rows = db.session.execute(
        sa.select(
            CommentScore.comment_id,
            CommentScore.priority,
            CommentScore.priority_reasons,
            Comment.priority,
        ).join(Comment, Comment.id == CommentScore.comment_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


@pytest.mark.parametrize(
    "weights",
    [
        {"negative_sentiment": 0.0},  # a reason disappears
        {"links": 7.0},  # only linked comments move, and their reasons reorder
        {"off_topic": 0.1, "shouting": 3.0, "other_flag": 0.0},
        {"links": 0.5, "shouting": 1.5},  # the same sum, its reasons in another order
    ],
)
def test_reprioritised_priorities_equal_scoring_afresh(app, weights):
    rows = [
        "a1,Council budget,The council budget for roads and schools.,1,Ann,The budget is fine",
        "a1,Council budget,The council budget for roads and schools.,2,Bo,"
        "Awful awful lies https://x.example https://y.example https://z.example",
        "a1,Council budget,The council budget for roads and schools.,3,Cy,"
        "FOOTBALL TRANSFER STRIKER SEASON!!!! terrible",
        "a1,Council budget,The council budget for roads and schools.,4,Dee,"
        "I hate this https://a.example https://b.example https://c.example so sad",
        "a2,Heatwave,Temperatures rise this week.,5,Ed,Lovely weather, great news",
        "a2,Heatwave,Temperatures rise this week.,7,Gus,"
        "WHY IS EVERYONE HERE SO WRONG HTTPS://A.EXAMPLE HTTPS://B.EXAMPLE HTTPS://C.EXAMPLE",
        "a2,Heatwave,Temperatures rise this week.,6,Flo,Stock prices and mortgage lending",
    ]
    import_csv("article_id,article_title,article_body,comment_id,author,text\n"
               + "\n".join(rows) + "\n")  # fmt: skip
    import_seed()
    score_stale(db.session)
    update_scoring_settings(db.session, {"weights": weights})
    summary = score_stale(db.session)
    assert summary.comments_scored == 0 and summary.reprioritised == len(_every_priority())
    reprioritised = _every_priority()
    assert score_stale(db.session, rescore_all=True).comments_scored == len(reprioritised)
    assert _every_priority() == reprioritised
    assert any(reasons for _, reasons, _ in reprioritised.values())


UNRELATED_TOPICS = [
    ("Heatwave warning", "temperatures heat water drought summer reservoirs hosepipe"),
    ("Striker signs", "club striker transfer fee season manager goals stadium"),
    ("Rates held", "bank interest rates inflation mortgage lending economy"),
    ("Wildfire spreads", "forest fire crews evacuation smoke homes hillside"),
    ("Vaccine rollout", "clinic doses nurses appointments hospital booster"),
]


def test_drift_holds_when_unrelated_articles_arrive(app):
    """Corpus statistics are rebuilt at every scoring run, over every article imported so
    far; a comment's drift, rescored after many unrelated articles arrived, barely moves."""
    import_seed()
    score_stale(db.session)
    before = {author: score.drift for author, score in scores_by_author().items()}
    rows = ["article_id,article_title,article_body,comment_id,author,text"]
    for number in range(40):
        title, words = UNRELATED_TOPICS[number % len(UNRELATED_TOPICS)]
        body = f"{words} {title.lower()} story {number} " * 5
        rows.append(f"u{number},{title} {number},{body},u{number}c,Reader{number},{words}")
    import_csv("\n".join(rows) + "\n")
    summary = score_stale(db.session, rescore_all=True)
    assert summary.comments_scored == 45
    after = {author: score.drift for author, score in scores_by_author().items()}
    changes = {author: abs(after[author] - before[author]) for author in before}
    assert max(changes.values()) <= 0.1, changes
    assert max(before, key=before.get) == max(before, key=after.get) == "thomas malthaus"
