"""CPU per comment of one process's thread scorer, on bench_scoring's synthetic threads.

    python bench/cpu_scoring.py                      # 20,000 comments over 1,000 articles
    python bench/cpu_scoring.py --profile 40         # and cProfile's 40 costliest functions
    python bench/cpu_scoring.py --json               # one JSON line (for A/B runs)

No database: the same texts bench_scoring.py writes are scored by
``ThreadScorer.score`` (sentiment, drift model, flags, priority, near-duplicate keys,
the score rows), and ``time.process_time`` is read around it, so other processes on
the machine change the wall time, not the figure. Beside it, bare
``SentimentIntensityAnalyzer().polarity_scores`` on the same texts in the same
process: the ratio the pipeline must beat on two cores.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scoring import synthetic_threads  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from moderation.scoring.drift import CorpusStats  # noqa: E402
from moderation.scoring_runner import ThreadScorer, ThreadTask  # noqa: E402
from moderation.settings import ScoringConfig  # noqa: E402


def tasks_of(threads) -> list[ThreadTask]:
    tasks, next_id = [], 1
    for article_id, (title, body, texts, authors) in enumerate(threads, 1):
        ids = list(range(next_id, next_id + len(texts)))
        next_id += len(texts)
        tasks.append(
            ThreadTask(
                article_id,
                title,
                body,
                ids,
                list(texts),
                ["comment"] * len(texts),
                [None] * len(texts),
                [True] * len(texts),
                ["h"] * len(texts),
                list(authors),
            )
        )
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    parser.add_argument("--no-vader", action="store_true", help="skip the bare VADER loop")
    arguments = parser.parse_args()
    threads = synthetic_threads(arguments.comments, arguments.articles)
    stats = CorpusStats.from_articles([(title, body) for title, body, _, _ in threads])
    config = ScoringConfig()
    scorer = ThreadScorer(stats, config, config.hash())
    tasks = tasks_of(threads)
    comments = sum(len(task.texts) for task in tasks)
    scorer.score(tasks[0], "2000-01-01 00:00:00.000000")  # load the model, warm the caches
    profiler = cProfile.Profile() if arguments.profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for task in tasks:
        scorer.score(task, "2000-01-01 00:00:00.000000")
    if profiler:
        profiler.disable()
    pipeline = (time.process_time() - started) / comments
    bare = None
    if not arguments.no_vader:
        analyzer = SentimentIntensityAnalyzer()
        texts = [text for task in tasks for text in task.texts]
        started = time.process_time()
        for text in texts:
            analyzer.polarity_scores(text)
        bare = (time.process_time() - started) / len(texts)
    if arguments.json:
        print(json.dumps({"comments": comments, "pipeline_ms": pipeline * 1e3,
                          "bare_vader_ms": bare and bare * 1e3}))  # fmt: skip
        return
    print(f"{comments:,} comments: scorer {pipeline * 1e3:.3f} ms CPU a comment", end="")
    if bare is not None:
        print(f", bare VADER {bare * 1e3:.3f} ms (scorer / VADER {pipeline / bare:.2f})")
    else:
        print()
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(arguments.profile)


if __name__ == "__main__":
    main()
