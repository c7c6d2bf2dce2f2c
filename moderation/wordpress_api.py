"""A WordPress site's REST API (``/wp-json/wp/v2/``), as the sync uses it: over HTTP, no database.

Authenticated with an application password (Users > Profile > Application Passwords) over
Basic auth; WordPress accepts them over https, or over http on a site whose environment type
is ``local``. Every failure is a :class:`WordPressError` whose message names the URL and says
what went wrong in words (wrong password, not WordPress, network down), never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx

PER_PAGE = 100
"""The most WordPress gives in one page."""
TIMEOUT_SECONDS = 30
REMOTE_STATUSES = ("approved", "hold", "spam", "trash")


class WordPressError(Exception):
    """The site cannot be used; the message names the URL."""


class WordPressAPI:
    """One site's REST API. ``transport`` replaces the network (tests)."""

    def __init__(
        self,
        url: str,
        user: str,
        app_password: str,
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            auth=httpx.BasicAuth(user, app_password.replace(" ", "")),
            timeout=TIMEOUT_SECONDS,
            transport=transport,
            headers={"User-Agent": "moderation-sync"},
            follow_redirects=True,
        )
        self._plain_permalinks = False
        self.home = self.url

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WordPressAPI:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Discovery ---------------------------------------------------------------------

    def connect(self) -> dict:
        """The API's index, checked: that it is WordPress's, and that the credentials work.

        ``/wp-json/`` needs pretty permalinks; a site without them answers at
        ``?rest_route=/``, tried next.
        """
        index = None
        for plain in (False, True):
            self._plain_permalinks = plain
            answer = self._send("GET", *self._target("", {}))
            index = _json_or_none(answer)
            if answer.status_code == 200 and isinstance(index, dict) and "namespaces" in index:
                break
        else:
            raise WordPressError(
                f"{self.url}: not a WordPress site (no REST API at {self.url}/wp-json/)"
            )
        if "wp/v2" not in index.get("namespaces", []):
            raise WordPressError(f"{self.url}: WordPress's REST API has no wp/v2 routes")
        self.home = (index.get("home") or self.url).rstrip("/")
        # Reading held comments needs an account that may moderate them: checks the password.
        self.get("wp/v2/comments", {"status": "hold", "context": "edit", "per_page": 1})
        return index

    # Requests ----------------------------------------------------------------------

    def get(self, route: str, params: dict[str, Any] | None = None) -> Any:
        return self._checked(self._send("GET", *self._target(route, params or {})))

    def post(self, route: str, body: dict[str, Any], params: dict[str, Any] | None = None) -> Any:
        return self._checked(self._send("POST", *self._target(route, params or {}), json=body))

    def delete(self, route: str, params: dict[str, Any] | None = None) -> Any:
        return self._checked(self._send("DELETE", *self._target(route, params or {})))

    def pages(self, route: str, params: dict[str, Any]) -> Iterator[Page]:
        """Each page of a collection, from the first to the last the site counts.

        The count (``X-WP-TotalPages``) is read again with every page, since comments come and
        go meanwhile; asking past the last page is an error to WordPress.
        """
        page = 1
        while True:
            paged = params | {"page": page, "per_page": PER_PAGE}
            answer = self._send("GET", *self._target(route, paged))
            items = self._checked(answer)
            if not isinstance(items, list):
                raise WordPressError(f"{answer.request.url}: expected a list, got {items!r:.80}")
            yield Page(items, _count(answer, "X-WP-Total"))
            if len(items) < PER_PAGE or page >= _count(answer, "X-WP-TotalPages"):
                return
            page += 1

    def comment(self, comment_id: int | str) -> dict | None:
        """One comment with what moderators see (context=edit); None if it is gone."""
        try:
            return self.get(f"wp/v2/comments/{comment_id}", {"context": "edit"})
        except NotFound:
            return None

    def set_status(self, comment_id: int | str, status: str) -> dict:
        if status not in REMOTE_STATUSES:
            raise ValueError(f"{status!r} is not a WordPress comment status")
        return self.post(f"wp/v2/comments/{comment_id}", {"status": status}, {"context": "edit"})

    def content(self, post_id: int | str) -> dict | None:
        """The post (or page) a comment is on, with its raw text; None if neither is found."""
        for kind in ("posts", "pages"):
            try:
                return self.get(f"wp/v2/{kind}/{post_id}", {"context": "edit"})
            except NotFound:
                continue
        return None

    def username(self, user_id: int | str) -> str | None:
        """The login of an author, as WordPress's export names authors; None if unreadable."""
        try:
            user = self.get(f"wp/v2/users/{user_id}", {"context": "edit"})
        except WordPressError:
            return None
        if not isinstance(user, dict):
            return None
        return user.get("username") or user.get("name") or None

    # Plumbing ----------------------------------------------------------------------

    def _target(self, route: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The URL and query of a route: under /wp-json/, or as ?rest_route= on a site
        without pretty permalinks."""
        if self._plain_permalinks:
            return self.url + "/", {"rest_route": "/" + route} | params
        return self.url + "/wp-json/" + route, params

    def _send(self, method: str, url: str, params: dict[str, Any], **kwargs) -> httpx.Response:
        try:
            return self.client.request(method, url, params=params, **kwargs)
        except httpx.TimeoutException:
            raise WordPressError(f"{url}: no answer within {TIMEOUT_SECONDS} s") from None
        except httpx.InvalidURL as error:
            raise WordPressError(f"{self.url}: not a usable URL ({error})") from None
        except httpx.UnsupportedProtocol:
            raise WordPressError(f"{self.url}: not an http:// or https:// URL") from None
        except httpx.HTTPError as error:
            raise WordPressError(
                f"{url}: cannot connect ({error or type(error).__name__})"
            ) from None

    def _checked(self, answer: httpx.Response) -> Any:
        url = str(answer.request.url)
        body = _json_or_none(answer)
        if answer.status_code == 200 or answer.status_code == 201:
            if body is None:
                raise WordPressError(f"{url}: the answer is not JSON; is this WordPress?")
            return body
        message = body.get("message") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
        said = f": WordPress says {message!r}" if message else ""
        if answer.status_code == 404 and code in _NOT_FOUND_CODES:
            raise NotFound(f"{url}: not found{said}")
        if answer.status_code in (401, 403):
            raise WordPressError(
                f"{url}: refused (HTTP {answer.status_code}){said}. Check --user and "
                "--app-password (an application password of an account that may moderate "
                "comments; over http the site must be of environment type 'local')"
            )
        raise WordPressError(f"{url}: HTTP {answer.status_code}{said or ' (not WordPress?)'}")


_NOT_FOUND_CODES = ("rest_comment_invalid_id", "rest_post_invalid_id", "rest_user_invalid_id")


class Page(NamedTuple):
    items: list[dict]
    total: int
    """How many the whole collection has, as the site counted when it gave this page."""


def _count(answer: httpx.Response, header: str) -> int:
    try:
        return int(answer.headers.get(header, "0"))
    except ValueError:
        return 0


class NotFound(WordPressError):
    """The comment, post or user does not exist (any more)."""


def _json_or_none(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None
