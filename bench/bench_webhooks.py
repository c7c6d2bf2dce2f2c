"""Webhooks: what the outbox costs the changes that write it, and how fast it is delivered.

    python bench/bench_webhooks.py                  # 20,000 comments, 3 rounds
    python bench/bench_webhooks.py --articles 20    # 4,000 comments, a quicker look

Prints, as CPU time of this process (time.process_time), which the other load on a shared
machine disturbs less than elapsed time, the median over the rounds, each round running
both sides one after the other on fresh SQLite databases:

* importing a WordPress export with no endpoint and with one that wants comment.created
  (one event and one delivery row per new comment, in the import's transaction);
* a bulk decision over 1,000 comments with no endpoint and with one wanting decision.made;
* delivering those 1,000 events to a receiver on loopback (a separate process, so that its
  CPU is not counted): deliveries a second, and CPU per delivery, signing included.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_wxr import write_wxr  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.database import ensure_schema  # noqa: E402
from moderation.decisions import bulk_decide  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.ingest import import_stream  # noqa: E402
from moderation.models import Comment, User, WebhookEvent  # noqa: E402
from moderation.webhooks import endpoints  # noqa: E402
from moderation.webhooks.delivery import DeliveryPolicy, deliver_due  # noqa: E402

COMMENTS_PER_ARTICLE = 200
BULK = 1000


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port_queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _app(folder: str, name: str):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/{name}"})
    return app


def _import(folder: str, name: str, export: Path, url: str | None) -> tuple[float, int]:
    app = _app(folder, name)
    with app.app_context():
        ensure_schema()
        if url:
            endpoints.add_endpoint(db.session, url, "comment.created")
        started = time.process_time()
        with open(export, "rb") as stream:
            outcome = import_stream(db.session, stream, export.name)
        cpu = time.process_time() - started
        assert outcome.succeeded, outcome.batch.error
        events = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
        db.engine.dispose()
    return cpu, events


def _bulk(folder: str, name: str, export: Path, url: str | None) -> tuple[float, float, int]:
    """CPU of one bulk decision of BULK comments; then, with an endpoint, of delivering it."""
    app = _app(folder, name)
    with app.app_context():
        ensure_schema()
        with open(export, "rb") as stream:
            import_stream(db.session, stream, export.name)
        moderator = User(username="bench", password_hash="!", role="moderator")
        db.session.add(moderator)
        db.session.commit()
        if url:
            endpoints.add_endpoint(db.session, url, "decision.made")
        targets = db.session.execute(
            sa.select(Comment.id, Comment.version).order_by(Comment.id).limit(BULK)
        ).all()
        started = time.process_time()
        outcome = bulk_decide(db.session, [tuple(t) for t in targets], "escalated", moderator)
        decide_cpu = time.process_time() - started
        assert len(outcome.decisions) == BULK, len(outcome.decisions)
        deliver_cpu, wall = 0.0, 0.0
        if url:
            policy = DeliveryPolicy(per_endpoint=BULK)
            started, started_wall = time.process_time(), time.perf_counter()
            summary = deliver_due(db.session, policy=policy)
            deliver_cpu = time.process_time() - started
            wall = time.perf_counter() - started_wall
            assert summary.delivered == BULK, summary
        db.engine.dispose()
    return decide_cpu, deliver_cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    comments = args.articles * COMMENTS_PER_ARTICLE
    ports = multiprocessing.get_context("spawn").Queue()
    receiver = multiprocessing.get_context("spawn").Process(target=_serve, args=(ports,))
    receiver.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/hook"
    try:
        with tempfile.TemporaryDirectory() as folder:
            export = write_wxr(Path(folder) / "bench.xml", args.articles, COMMENTS_PER_ARTICLE)
            small = write_wxr(Path(folder) / "small.xml", BULK // COMMENTS_PER_ARTICLE, 200)
            imports = {"none": [], "endpoint": []}
            decides = {"none": [], "endpoint": []}
            deliveries, walls = [], []
            for round_number in range(args.rounds):
                for side in ("none", "endpoint"):
                    hook = url if side == "endpoint" else None
                    cpu, events = _import(folder, f"i{round_number}{side}.sqlite", export, hook)
                    assert events == (comments if hook else 0), events
                    imports[side].append(cpu)
                    decide_cpu, deliver_cpu, wall = _bulk(
                        folder, f"b{round_number}{side}.sqlite", small, hook
                    )
                    decides[side].append(decide_cpu)
                    if hook:
                        deliveries.append(deliver_cpu)
                        walls.append(wall)
    finally:
        receiver.terminate()
    plain, outbox = (statistics.median(imports[side]) for side in ("none", "endpoint"))
    print(f"import of {comments:,} comments, CPU median of {args.rounds}:")
    print(
        f"  no endpoint {plain:.2f} s ({plain / comments * 1e6:.1f} us/comment); "
        f"comment.created wanted {outbox:.2f} s ({outbox / comments * 1e6:.1f} us/comment): "
        f"+{(outbox / plain - 1) * 100:.1f}%"
    )
    plain, outbox = (statistics.median(decides[side]) for side in ("none", "endpoint"))
    print(f"bulk decision of {BULK:,} comments, CPU median:")
    print(
        f"  no endpoint {plain * 1000:.0f} ms ({plain / BULK * 1e3:.2f} ms/decision); "
        f"decision.made wanted {outbox * 1000:.0f} ms ({outbox / BULK * 1e3:.2f} ms/decision): "
        f"+{(outbox / plain - 1) * 100:.1f}%"
    )
    cpu, wall = statistics.median(deliveries), statistics.median(walls)
    print(
        f"delivery of {BULK:,} events to a loopback receiver: {BULK / wall:,.0f}/s elapsed, "
        f"{cpu / BULK * 1e3:.2f} ms CPU per delivery (this process)"
    )


if __name__ == "__main__":
    main()
