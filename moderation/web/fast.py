"""Cheaper versions of template helpers the queue page calls hundreds of times.

A page of 50 comments builds about 500 URLs and 250 CSRF fields; through
``url_for`` and ``csrf_token`` that was a third of the page's time. Its decision
forms, the same for every comment but for its id and version, were another third:
:func:`per_comment_maker` renders them once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote_plus

from flask import request, url_for
from flask_wtf.csrf import generate_csrf

_SENTINEL = 2147483646  # an id no URL otherwise contains
_VERSION_SENTINEL = 2147483645  # nor a version
_TEXT_SENTINEL = "Q7x9valueQ7x9"  # nor this: letters only, which no quoting changes
# What werkzeug leaves unquoted in a query value (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"
_patterns: dict[tuple, str] = {}


def id_url(endpoint: str, id_name: str, id_value: int, **fixed: str) -> str:
    """``url_for(endpoint, **{id_name: id_value}, **fixed)`` for routes whose only varying
    part is an integer id: built once by ``url_for``, then filled in by replacement."""
    key = (request.script_root, endpoint, id_name, tuple(sorted(fixed.items())))
    pattern = _patterns.get(key)
    if pattern is None:
        pattern = url_for(endpoint, **{id_name: _SENTINEL}, **fixed)
        if pattern.count(str(_SENTINEL)) != 1:  # pragma: no cover - a route we cannot template
            return url_for(endpoint, **{id_name: id_value}, **fixed)
        _patterns[key] = pattern
    return pattern.replace(str(_SENTINEL), str(int(id_value)))


def id_url_maker(endpoint: str, id_name: str, **fixed: str) -> Callable[[int], str]:
    """:func:`id_url` with everything but the id fixed, for a loop over many ids."""
    pattern = id_url(endpoint, id_name, _SENTINEL, **fixed)
    if pattern.count(str(_SENTINEL)) != 1:  # pragma: no cover - a route we cannot template
        return lambda value: id_url(endpoint, id_name, value, **fixed)
    prefix, _, suffix = pattern.partition(str(_SENTINEL))
    return lambda value: f"{prefix}{int(value)}{suffix}"


def csrf_value() -> str:
    """The CSRF token, generated once per request (kept in the request's environ)."""
    environ = request.environ
    if "moderation.csrf_token" not in environ:
        environ["moderation.csrf_token"] = generate_csrf()
    return environ["moderation.csrf_token"]


def query_url(endpoint: str, name: str, value: str | None, **fixed: str) -> str:
    """``url_for(endpoint, **{name: value}, **fixed)`` where ``name`` goes in the query
    string: built once by ``url_for``, then the value quoted in as werkzeug quotes it."""
    if value is None:
        return url_for(endpoint, **fixed)
    key = (request.script_root, endpoint, name, tuple(sorted(fixed.items())))
    pattern = _patterns.get(key)
    if pattern is None:
        pattern = url_for(endpoint, **{name: _TEXT_SENTINEL}, **fixed)
        if f"{name}={_TEXT_SENTINEL}" not in pattern:  # pragma: no cover - not in the query
            return url_for(endpoint, **{name: value}, **fixed)
        _patterns[key] = pattern
    return pattern.replace(_TEXT_SENTINEL, quote_plus(str(value), safe=_QUERY_SAFE))


class _StandIn(NamedTuple):
    """A comment as :func:`per_comment_maker`'s macros may see it: id, version and status."""

    id: int
    version: int
    status: str


def per_comment_maker(macro, *args) -> Callable[[object], str]:
    """A function of a comment giving ``str(macro(comment, *args))``, for a macro that
    reads only the comment's id, version and status: rendered once per request, status
    and ``args`` with stand-in numbers, then filled in by replacement (ids and versions
    are integers: nothing to escape)."""
    patterns: dict[str, str | None] = {}

    def render(comment) -> str:
        status = comment.status
        if status not in patterns:
            patterns[status] = _per_comment_pattern(macro, status, args)
        pattern = patterns[status]
        if pattern is None:  # pragma: no cover - args holding a stand-in number
            return str(macro(comment, *args))
        return _filled(pattern, comment)

    return render


def _per_comment_pattern(macro, status: str, args: tuple) -> str | None:
    key = (macro.name, status, repr(args))
    if str(_SENTINEL) in key[2] or str(_VERSION_SENTINEL) in key[2]:  # pragma: no cover
        return None
    rendered = request.environ.setdefault("moderation.per_comment", {})
    pattern = rendered.get(key)
    if pattern is None:
        pattern = str(macro(_StandIn(_SENTINEL, _VERSION_SENTINEL, status), *args))
        rendered[key] = pattern
    return pattern


def _filled(pattern: str, comment) -> str:
    return pattern.replace(str(_SENTINEL), str(int(comment.id))).replace(
        str(_VERSION_SENTINEL), str(int(comment.version))
    )
