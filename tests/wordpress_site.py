"""The WordPress the sync tests talk to: the real one `.ci/wordpress.sh` starts, or its recording.

``RecordedWordPress`` answers as the real site did: its objects are the real site's answers,
recorded by ``python tests/wordpress_site.py`` (with the MODERATION_TEST_WORDPRESS_*
variables set) into tests/data/wordpress_recorded.json; it keeps their statuses as the site
would, so that decisions pushed to it can be read back.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from moderation.wordpress_api import WordPressAPI

RECORDED = Path(__file__).resolve().parent / "data" / "wordpress_recorded.json"
RECORDED_URL = "http://127.0.0.1:8089"
RECORDED_USER = "editor"
RECORDED_PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"

THREAD = {
    "title": "Council approves the new bridge",
    "content": "<p>The council voted to build a <b>bridge</b> over the river, at a cost of "
    "twelve million.</p>",
}
COMMENTS = [
    ("Ann", "The bridge will shorten my commute a lot. Good vote &amp; good news."),
    ("Bob", "Buy cheap watches at http://watches.example now"),
    ("Cleo", "You are all idiots and this council is a joke."),
    ("Dan", "Who pays for the bridge? Twelve million is a lot for a town like ours."),
    ("Eve", "The river crossing floods every spring; will the bridge be high enough?"),
]
LATER = ("Fay", "A reply that came after the first sync: the ferry will close, then?")


@dataclass
class Thread:
    post_id: int
    comment_ids: list[int]
    """One per COMMENTS, all held; the second is a reply to the first."""


def make_thread(api: WordPressAPI) -> Thread:
    """A new post with the held comments of COMMENTS, on the real site."""
    post = api.post("wp/v2/posts", THREAD | {"status": "publish"})
    ids: list[int] = []
    for number, (author, text) in enumerate(COMMENTS):
        parent = ids[0] if number == 1 else 0
        ids.append(add_comment(api, post["id"], author, text, parent))
    return Thread(post["id"], ids)


def add_comment(api: WordPressAPI, post_id: int, author: str, text: str, parent: int = 0) -> int:
    email = f"{author.lower()}@example.org"
    comment = api.post(
        "wp/v2/comments",
        {
            "post": post_id,
            "parent": parent,
            "author_name": author,
            "author_email": email,
            "content": text,
            "status": "hold",
        },
    )
    return comment["id"]


class RecordedWordPress:
    """An httpx transport answering with the recorded site's objects, statuses kept as changed."""

    def __init__(self, recorded: dict):
        self.index = recorded["index"]
        self.refusal = recorded["refusal"]
        self.posts = {post["id"]: post for post in recorded["posts"]}
        self.users = {user["id"]: user for user in recorded["users"]}
        self.comments = {c["id"]: c for c in copy.deepcopy(recorded["comments"])}
        self.later = {c["id"]: c for c in copy.deepcopy(recorded["later"])}
        self.thread = Thread(recorded["thread"]["post_id"], recorded["thread"]["comment_ids"])
        self.writes: list[tuple[int, str]] = []
        token = b64encode(f"{RECORDED_USER}:{RECORDED_PASSWORD.replace(' ', '')}".encode())
        self.authorization = "Basic " + token.decode()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer)

    def publish_later(self) -> int:
        """The comment recorded after the thread's, now on the site."""
        comment_id, comment = self.later.popitem()
        self.comments[comment_id] = comment
        return comment_id

    pretty_permalinks = True
    """False: as a site without them, which answers only at ?rest_route=."""

    def answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        query = {key: values[-1] for key, values in parse_qs(request.url.query.decode()).items()}
        if path == "/" and "rest_route" in query:
            path = "/wp-json" + query.pop("rest_route")
        elif not self.pretty_permalinks:
            return httpx.Response(404, html="<html>Page not found</html>")
        if path == "/wp-json/":
            return _json(self.index)
        if request.headers.get("authorization") != self.authorization:
            return _json(self.refusal, 401)
        if path == "/wp-json/wp/v2/comments":
            return self._comment_list(query)
        found = re.fullmatch(r"/wp-json/wp/v2/(comments|posts|pages|users)/(\d+)", path)
        if not found:
            return _json({"code": "rest_no_route", "message": "No route", "data": {}}, 404)
        kind, object_id = found.group(1), int(found.group(2))
        objects = {"comments": self.comments, "posts": self.posts, "users": self.users}.get(kind)
        if objects is None or object_id not in objects:
            code = {"comments": "rest_comment_invalid_id", "users": "rest_user_invalid_id"}
            return _json({"code": code.get(kind, "rest_post_invalid_id"), "message": "x"}, 404)
        if request.method == "DELETE":
            return _json({"deleted": True, "previous": objects.pop(object_id)})
        if request.method == "POST":
            status = json.loads(request.content)["status"]
            objects[object_id]["status"] = status
            self.writes.append((object_id, status))
        return _json(objects[object_id])

    def _comment_list(self, query: dict[str, str]) -> httpx.Response:
        wanted = {"all": ("approved", "hold"), "hold": ("hold",)}[query["status"]]
        # WordPress's default order is newest first; ids go up with time.
        order = (query.get("orderby", "date_gmt"), query.get("order", "desc"))
        assert order in (("id", "desc"), ("date_gmt", "desc")), query
        chosen = sorted(
            (c for c in self.comments.values() if c["status"] in wanted),
            key=lambda c: c["id"],
            reverse=True,
        )
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        pages = max(1, -(-len(chosen) // per_page))
        if page > pages:
            refusal = {"code": "rest_comment_invalid_page_number", "message": "past the last"}
            return _json(refusal, 400)
        answer = _json(chosen[(page - 1) * per_page : page * per_page])
        answer.headers["X-WP-Total"], answer.headers["X-WP-TotalPages"] = (
            str(len(chosen)),
            str(pages),
        )
        return answer


def _json(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def load_recorded() -> RecordedWordPress:
    return RecordedWordPress(json.loads(RECORDED.read_text()))


def record() -> None:
    """Make a thread on the real site and write what it answers to RECORDED."""
    url = os.environ["MODERATION_TEST_WORDPRESS_URL"]
    with WordPressAPI(
        url,
        os.environ["MODERATION_TEST_WORDPRESS_USER"],
        os.environ["MODERATION_TEST_WORDPRESS_APP_PASSWORD"],
    ) as api:
        index = api.connect()
        thread = make_thread(api)
        later = add_comment(api, thread.post_id, *LATER, parent=thread.comment_ids[3])
        comments = [api.comment(number) for number in [*thread.comment_ids, later]]
        post = api.get(f"wp/v2/posts/{thread.post_id}", {"context": "edit"})
        users = [api.get(f"wp/v2/users/{post['author']}", {"context": "edit"})]
        refusal = httpx.get(url + "/wp-json/wp/v2/comments?context=edit", auth=("editor", "x"))
    recorded = {
        "index": {key: index[key] for key in ("name", "url", "home", "namespaces")},
        "refusal": refusal.json(),
        "thread": {"post_id": thread.post_id, "comment_ids": thread.comment_ids},
        "posts": [post],
        "users": users,
        "comments": comments[:-1],
        "later": comments[-1:],
    }
    for answer in [post, *users, *comments]:
        answer.pop("_links", None)  # links to elsewhere on the site, which the sync never follows
    text = json.dumps(recorded, indent=1, ensure_ascii=False)
    RECORDED.write_text(text.replace(url, RECORDED_URL) + "\n")


if __name__ == "__main__":
    sys.exit(record())
