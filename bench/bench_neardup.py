"""Near-duplicate spam: planted campaigns found, false groupings, and what detection costs.

    python bench/bench_neardup.py                    # 200,000 comments, 50 campaigns x 20
    python bench/bench_neardup.py --articles 100     # 20,000 comments, a quicker look
    python bench/bench_neardup.py --repeat 3         # alternate the two runs 3 times

Writes one WordPress export (``generate_wxr.write_wxr``) of ordinary comments of 3 to
120 words (``bench_scoring.synthetic_text``; a tenth are stock short replies such as
"Totally agree." that many readers post) with 50 planted campaigns of 20 variants
each, scattered over the threads under different names. A variant is its campaign's
text with 1 to 4 edits: a word substituted, inserted or dropped, a number changed or
added, punctuation changed. The same file is then imported and scored twice on fresh
SQLite databases, without and with near-duplicate detection (alternately, ``--repeat``
times: the figures are the medians, since one run's import can differ from the next by
seconds on a machine doing anything else), and the script prints

* the share of planted variants in their campaign's largest group (target >= 95%),
* the share of ordinary comments grouped with anything (target < 1%),
* import + scoring throughput of both runs and the slowdown (target: within 15%), and
  the CPU time each took (this process and its scoring workers), which other load on
  the machine disturbs less than the elapsed time.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scoring import TOPICS, synthetic_text  # noqa: E402
from generate_wxr import write_wxr  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.database import ensure_schema  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.ingest import import_stream  # noqa: E402
from moderation.models import Comment, CommentFlag, CommentSignature  # noqa: E402
from moderation.scoring_runner import score_stale  # noqa: E402

COMMENTS_PER_ARTICLE = 200
CAMPAIGNS = 50
VARIANTS = 20
STOCK_REPLIES = [
    "Totally agree.",
    "Well said!",
    "Great article, thanks.",
    "So true",
    "Nonsense.",
    "This is spot on.",
    "I could not agree more",
    "Exactly this.",
]
SPAM_OPENINGS = [
    "Earn $500 a day working from home",
    "I made $7,400 last month with one simple trick",
    "Cheap designer watches and bags shipped free",
    "Lose 20 pounds in 30 days without any diet",
    "Hot singles in your area are waiting to chat",
    "Get your free crypto bonus of 0.5 BTC today",
    "Best replica phones at 90% off retail prices",
    "My aunt earns $85 an hour on her laptop",
]
SPAM_WORDS = (
    "earn money fast cash daily home work online free offer click visit site profile bonus "
    "guaranteed easy simple job income extra week month dollars now today join start secret "
    "method proven limited spots register link below amazing results real deal trust me"
).split()
FILLER = "i you my the a and to from with at for your this is was just really it all".split()
PUNCTUATION = ["!", "!!", ",", "...", "?!", ".", " -"]


def campaign_text(rng: random.Random) -> list[str]:
    """A spam message: a stock opening, then 10 to 35 words of pitch and a number or two."""
    words = rng.choice(SPAM_OPENINGS).split()
    for _ in range(rng.randint(10, 35)):
        roll = rng.random()
        if roll < 0.06:
            words.append(f"${rng.randint(50, 9999)}")
        else:
            words.append(rng.choice(SPAM_WORDS if roll < 0.6 else FILLER))
    return words


def variant(rng: random.Random, words: list[str]) -> str:
    """The message with 1 to 4 edits of the kinds spammers make to dodge exact matching."""
    words = list(words)
    for _ in range(rng.randint(1, 4)):
        edit = rng.choice(["substitute", "insert", "drop", "number", "punctuation"])
        at = rng.randrange(len(words))
        if edit == "substitute":
            words[at] = rng.choice(SPAM_WORDS)
        elif edit == "insert":
            words.insert(at, rng.choice(SPAM_WORDS + FILLER))
        elif edit == "drop" and len(words) > 8:
            del words[at]
        elif edit == "number":
            numbers = [i for i, w in enumerate(words) if any(c.isdigit() for c in w)]
            if numbers:
                words[rng.choice(numbers)] = f"${rng.randint(50, 9999)}"
            else:
                words.insert(at, str(rng.randint(2, 999)))
        else:
            words[at] += rng.choice(PUNCTUATION)
    text = " ".join(words)
    return text.upper() if rng.random() < 0.1 else text


def plan(comments: int, seed: int = 7) -> tuple[dict[int, tuple[str, str]], dict[int, int]]:
    """Every comment's (author, text) by WXR comment id, and the planted ones' campaign."""
    rng = random.Random(seed)
    bodies: dict[int, tuple[str, str]] = {}
    for comment_id in range(1, comments + 1):
        if rng.random() < 0.1:
            text = rng.choice(STOCK_REPLIES)
        else:
            topic = TOPICS[(comment_id // COMMENTS_PER_ARTICLE) % len(TOPICS)]
            text = synthetic_text(rng, topic, rng.randint(3, 120))
        bodies[comment_id] = (f"reader{rng.randrange(5000)}", text)
    planted: dict[int, int] = {}
    slots = rng.sample(range(1, comments + 1), CAMPAIGNS * VARIANTS)
    for campaign in range(CAMPAIGNS):
        words = campaign_text(rng)
        for number in range(VARIANTS):
            comment_id = slots[campaign * VARIANTS + number]
            bodies[comment_id] = (f"promo{campaign}_{number}", variant(rng, words))
            planted[comment_id] = campaign
    return bodies, planted


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the scoring workers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def run(export: Path, folder: Path, near_duplicates: bool) -> tuple[float, float, int, dict]:
    """Import and score ``export`` on a fresh database: seconds for each, comments, and
    the campaigns found: {WXR comment id: campaign number}, and the flagged ids."""
    name = "with" if near_duplicates else "without"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / f'{name}.sqlite'}"})
    with app.app_context():
        ensure_schema()
        started = time.perf_counter()
        with export.open("rb") as stream:
            assert import_stream(db.session, stream, export.name).succeeded
        imported = time.perf_counter() - started
        summary = score_stale(db.session, near_duplicates=near_duplicates)
        campaigns = dict(
            db.session.execute(
                sa.select(Comment.external_id, CommentSignature.campaign_id).join(
                    CommentSignature, CommentSignature.comment_id == Comment.id
                )
            ).all()
        )
        flagged = set(
            db.session.scalars(
                sa.select(Comment.external_id)
                .join(CommentFlag, CommentFlag.comment_id == Comment.id)
                .where(CommentFlag.code == "near_duplicate")
            )
        )
        db.engine.dispose()
    found = {int(k): v for k, v in campaigns.items() if v is not None}
    return imported, summary.seconds, summary.comments_scored, {"found": found, "flagged": flagged}


def report_accuracy(planted: dict[int, int], comments: int, found: dict, flagged: set) -> None:
    grouped = 0
    merged = 0
    for campaign in range(CAMPAIGNS):
        members = [c for c, k in planted.items() if k == campaign]
        numbers = Counter(found[c] for c in members if c in found)
        if numbers:
            number, count = numbers.most_common(1)[0]
            grouped += count if count > 1 else 0
            others = {c for c, n in found.items() if n == number} - set(members)
            merged += bool(others & set(planted))
    ordinary = comments - len(planted)
    wrongly = [c for c in found if c not in planted]
    wrongly_flagged = [c for c in flagged if int(c) not in planted]
    print(
        f"planted variants grouped: {grouped / len(planted):.1%} of {len(planted)}"
        f" (target >= 95%); campaigns merged with another: {merged}"
    )
    print(
        f"ordinary comments grouped: {len(wrongly) / ordinary:.3%} of {ordinary:,}"
        f" (target < 1%); flagged: {len(wrongly_flagged)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two runs N times")
    arguments = parser.parse_args()
    comments = arguments.articles * COMMENTS_PER_ARTICLE
    if comments <= CAMPAIGNS * VARIANTS:
        # Every comment would be planted, leaving no ordinary ones to measure false groups on.
        fewest = CAMPAIGNS * VARIANTS // COMMENTS_PER_ARTICLE + 1
        parser.error(f"--articles must be at least {fewest} ({CAMPAIGNS * VARIANTS} are planted)")
    bodies, planted = plan(comments)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        export = folder / "export.xml"
        write_wxr(export, arguments.articles, COMMENTS_PER_ARTICLE, body=bodies.get)
        words = sum(len(text.split()) for _, text in bodies.values()) / comments
        print(f"{comments:,} comments ({words:.0f} words on average), {len(planted)} planted")
        rates: dict[bool, list[float]] = {False: [], True: []}
        cpus: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(arguments.repeat):
            for near_duplicates in (False, True):
                for path in folder.glob("*.sqlite*"):
                    path.unlink()
                cpu_before = cpu_seconds()
                imported, scored, count, found = run(export, folder, near_duplicates)
                cpus[near_duplicates].append(cpu_seconds() - cpu_before)
                rates[near_duplicates].append(count / (imported + scored))
                label = "with" if near_duplicates else "without"
                print(
                    f"{label} near-duplicate detection: import {imported:.1f} s + scoring "
                    f"{scored:.1f} s = {rates[near_duplicates][-1]:,.0f} comments/s, "
                    f"{cpus[near_duplicates][-1]:.1f} CPU s"
                )
        report_accuracy(planted, comments, found["found"], found["flagged"])
        slower = 1 - median(rates[True]) / median(rates[False])
        more_cpu = median(cpus[True]) / median(cpus[False]) - 1
        print(
            f"import + scoring with detection: {slower:.1%} slower (target: within 15%), "
            f"{more_cpu:.1%} more CPU time (medians of {arguments.repeat})"
        )


if __name__ == "__main__":
    main()
