"""Scoring throughput, end to end, against bare VADER on the same texts.

    python bench/bench_scoring.py                    # 200,000 comments over 1,000 articles
    python bench/bench_scoring.py --comments 20000   # a quicker look
    python bench/bench_scoring.py --author-rules 500 # 500 of the 5,000 readers under a rule

Fills a fresh SQLite database with synthetic articles and comments of realistic,
varied length (10 to 300 words), then runs the real batch runner (read,
sentiment, drift, flags, priority, write) on both cores, and a bare loop of the
unmodified ``SentimentIntensityAnalyzer().polarity_scores`` over the same texts in
one process. Prints both rates, their ratio, and the slowest single comment; then
changes one priority weight and times the run that follows, which recomputes
priorities only (no sentiment or drift).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from moderation import create_app
from moderation.author_rules import RULES
from moderation.database import ensure_schema
from moderation.extensions import db
from moderation.models import Article, AuthorRule, Comment, User
from moderation.scoring_runner import ThreadScorer, ThreadTask, corpus_stats, score_stale
from moderation.settings import current_scoring_config, update_scoring_settings

COMMON = """the a of to and in that it is was for on with as this by be are at from not but
they have we you what all would there their if so about people just more can one will no
think really because even still only much why how government said time year""".split()
FEELING = """good great love excellent happy best hope agree thanks fair bad terrible hate awful
worst sad angry wrong stupid disgrace lies corrupt shame disappointed ridiculous nice
brilliant wonderful horrible pathetic useless fantastic""".split()
TOPICS = [
    "council budget tax school road housing rent transport bus lane parking".split(),
    "football club transfer striker manager season goal league stadium fans".split(),
    "heatwave temperature climate drought water heat summer warning record".split(),
    "interest rates inflation bank mortgage economy prices lending borrowing".split(),
    "election debate candidate vote campaign poll party minister policy".split(),
    "vaccine rollout clinic doses health nurses hospital appointments".split(),
    "layoffs technology company staff jobs startup engineers software".split(),
    "wildfire firefighters evacuation forest smoke homes burn crews".split(),
]


def synthetic_text(rng: random.Random, topic: list[str], words: int) -> str:
    out = []
    for position in range(words):
        roll = rng.random()
        if roll < 0.12:
            word = rng.choice(topic)
        elif roll < 0.2:
            word = rng.choice(FEELING)
        elif roll < 0.23:
            word = rng.choice(["not", "never", "very", "really", "extremely", "but"])
        else:
            word = rng.choice(COMMON)
        if rng.random() < 0.02:
            word = word.upper()
        out.append(word)
        if position % rng.randint(8, 20) == 0 and position:
            out[-1] += rng.choice([".", "!", "?", "..."])
    return " ".join(out).capitalize() + "."


def synthetic_threads(
    comments: int, articles: int, seed: int = 0
) -> list[tuple[str, str, list[str], list[str]]]:
    """Articles with their comments, as (title, body, comment texts, author names)."""
    rng = random.Random(seed)
    per_article = comments // articles
    heads = []
    for number in range(articles):
        topic = TOPICS[number % len(TOPICS)]
        body = synthetic_text(rng, topic, 400)
        heads.append((f"{topic[0].title()} {topic[1]} story {number}", body))
    threads = []
    for number, (title, body) in enumerate(heads):
        topic = TOPICS[number % len(TOPICS)] if rng.random() < 0.8 else rng.choice(TOPICS)
        texts, authors = [], []
        for _ in range(per_article):
            texts.append(synthetic_text(rng, topic, rng.randint(10, 300)))
            authors.append(f"reader{rng.randint(1, 5000)}")
        threads.append((title, body, texts, authors))
    return threads


def fill(comments: int, articles: int, seed: int = 0) -> list[str]:
    threads = synthetic_threads(comments, articles, seed)
    article_rows = [
        {
            "site": "bench",
            "key": f"a{number}",
            "title": title,
            "body": body,
            "content_hash": hashlib.sha256(body.encode()).hexdigest(),
        }
        for number, (title, body, _, _) in enumerate(threads)
    ]
    db.session.execute(sa.insert(Article), article_rows)
    ids = db.session.scalars(sa.select(Article.id).order_by(Article.id)).all()
    texts = []
    for article_id, (_, _, thread_texts, authors) in zip(ids, threads, strict=True):
        texts.extend(thread_texts)
        rows = [
            {
                "article_id": article_id,
                "external_id": str(position),
                "position": position,
                "author_name": author,
                "body": text,
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
            }
            for position, (text, author) in enumerate(zip(thread_texts, authors, strict=True))
        ]
        db.session.execute(sa.insert(Comment), rows)
    db.session.commit()
    return texts


def add_author_rules(count: int) -> None:
    """Ban, premoderate or trust (in turn) ``count`` readers, from before their comments came."""
    user = User(username="bench", password_hash="!", role="admin")
    db.session.add(user)
    db.session.flush()
    rules = list(RULES)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    db.session.add_all(
        AuthorRule(author_name=f"reader{n}", rule=rules[n % 3], set_by_id=user.id, set_at=since)
        for n in range(1, count + 1)
    )
    db.session.commit()


def bare_vader_rate(texts: list[str], seconds: float = 20.0) -> tuple[float, float]:
    """Comments per second of the unmodified library in one process, on a fair sample,
    and its CPU seconds a comment."""
    analyzer = SentimentIntensityAnalyzer()
    sample = random.Random(1).sample(texts, min(len(texts), 20000))
    started = time.perf_counter()
    cpu_started = time.process_time()
    done = 0
    for text in sample:
        analyzer.polarity_scores(text)
        done += 1
        if time.perf_counter() - started > seconds:
            break
    return done / (time.perf_counter() - started), (time.process_time() - cpu_started) / done


def children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the scoring workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def slowest_comment(texts: list[str]) -> tuple[float, int]:
    """Seconds for the slowest of the 200 longest comments through one scorer, and its length."""
    scorer = ThreadScorer(corpus_stats(db.session), current_scoring_config(db.session), "bench")
    worst = (0.0, 0)
    for text in sorted(texts, key=len)[-200:]:
        task = ThreadTask(0, "Title", "Body text", [1], [text], ["comment"], [None], [True], ["h"])
        started = time.perf_counter()
        scorer.score(task, None)
        worst = max(worst, (time.perf_counter() - started, len(text)))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--author-rules", type=int, default=0, help="readers under a rule (of 5,000)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder, 'bench.sqlite')}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            ensure_schema()
            texts = fill(arguments.comments, arguments.articles)
            words = sum(len(t.split()) for t in texts) / len(texts)
            print(f"{len(texts):,} comments over {arguments.articles:,} articles,", end=" ")
            print(f"{words:.0f} words on average")
            add_author_rules(arguments.author_rules)
            cpu_started, children_started = time.process_time(), children_cpu()
            summary = score_stale(db.session, workers=arguments.workers)
            own_cpu = time.process_time() - cpu_started
            workers_cpu = children_cpu() - children_started
            rate = summary.comments_scored / summary.seconds
            bare, bare_cpu = bare_vader_rate(texts)
            worst, length = slowest_comment(texts)
            print(f"pipeline ({summary.workers} processes, read+score+write):", end=" ")
            print(f"{rate:,.0f} comments/s ({summary.seconds:.1f} s)")
            print(
                f"author rules: {arguments.author_rules} readers under a rule, "
                f"{summary.author_decisions:,} comments decided by them"
            )
            print(f"bare SentimentIntensityAnalyzer.polarity_scores, 1 process: {bare:,.0f}/s")
            print(f"ratio: {rate / bare:.1f}x (target 4x)")
            # Wall-clock rates follow the machine's load; CPU time does not. The pipeline's
            # CPU a comment (this process and its workers, their start included) against
            # bare VADER's gives the ratio on otherwise idle cores.
            per_comment = (own_cpu + workers_cpu) / summary.comments_scored
            cores = min(summary.workers, os.cpu_count() or 1)
            print(
                f"CPU a comment: pipeline {per_comment * 1e3:.3f} ms (this process "
                f"{own_cpu / summary.comments_scored * 1e3:.3f}, workers "
                f"{workers_cpu / summary.comments_scored * 1e3:.3f}), bare VADER "
                f"{bare_cpu * 1e3:.3f} ms; CPU-bound ratio on {cores} cores: "
                f"{cores * bare_cpu / per_comment:.1f}x"
            )
            print(f"slowest of the 200 longest comments: {worst * 1000:.1f} ms ({length:,} chars)")
            update_scoring_settings(db.session, {"weights": {"negative_sentiment": 4.5}})
            again = score_stale(db.session, workers=arguments.workers)
            print(
                f"after a weight change: {again.reprioritised:,} priorities recomputed in "
                f"{again.seconds:.1f} s ({again.reprioritised / again.seconds:,.0f}/s), "
                f"{again.comments_scored} comments scored again"
            )


if __name__ == "__main__":
    main()
