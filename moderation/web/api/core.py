"""What every API route shares: the route table, token and scope checks, the rate limit,
request validation, and errors as JSON ``{"error": {"code", "message"}}``.

Routes are declared with :func:`api_route`, which records each one (method, scope,
parameters, body and response schemas) in :data:`ROUTES`; the OpenAPI description is
generated from that table (:mod:`.openapi`), and the same pydantic models validate the
requests, so the description cannot drift from the code.

Only ``Authorization: Bearer <token>`` authenticates: the session cookie of a signed-in
moderator is never read here, so a page in a browser cannot call the API with it
(which is also why the API needs no CSRF token).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

import limits
import limits.storage
import limits.strategies
import pydantic
from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from ... import api_tokens
from ...extensions import db
from ...models import ApiToken

PREFIX = "/api/v1"


class ApiError(Exception):
    """An error answer: HTTP status, a short machine-readable code and a clear message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def error_response(
    status: int, code: str, message: str, headers: dict | None = None, **extra
) -> Response:
    body = {"error": {"code": code, "message": message}, **extra}
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="moderation"'
    return response


HTTP_MESSAGES = {
    404: ("not_found", "There is nothing at this address; see /api/v1/openapi.json."),
    405: ("method_not_allowed", "This address does not take that method."),
}


def http_error_response(error: HTTPException) -> Response:
    """A werkzeug error (404, 405, 413...) as the API's JSON error."""
    status = error.code or 500
    if status == 413:
        from .. import body_limit  # the web package imports this one

        limit_mb = (body_limit(request.endpoint) or 0) / (1024 * 1024)
        code = "too_large"
        message = f"The request body is larger than {limit_mb:g} MB; send fewer records at once."
    elif status in HTTP_MESSAGES:
        code, message = HTTP_MESSAGES[status]
    else:
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, code, message, headers)


def in_api() -> bool:
    """Whether this request is for the API (routing errors included, which have no blueprint)."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


# The route table -----------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    rule: str
    method: str
    endpoint: str
    scope: str | None
    """The scope the token needs; None: any live token."""
    summary: str
    description: str
    query: type[pydantic.BaseModel] | None = None
    query_extra: tuple[str, ...] = ()
    """Names of further query parameters the view reads itself (the queue's filters)."""
    body: type[pydantic.BaseModel] | None = None
    responses: dict[int, tuple[str, type[pydantic.BaseModel] | None]] = field(default_factory=dict)


ROUTES: list[ApiRoute] = []


def api_route(
    bp,
    rule: str,
    method: str,
    *,
    scope: str | None,
    summary: str,
    query: type[pydantic.BaseModel] | None = None,
    query_extra: tuple[str, ...] = (),
    body: type[pydantic.BaseModel] | None = None,
    responses: dict[int, tuple[str, type[pydantic.BaseModel] | None]],
) -> Callable:
    """Declare an API route: the view gets ``token``, and ``query``/``body`` as validated
    models, and returns a model or plain JSON value (200), or ``(value, status)``."""

    def decorator(view: Callable) -> Callable:
        route = ApiRoute(
            PREFIX + rule,
            method,
            f"{bp.name}.{view.__name__}",
            scope,
            summary,
            (view.__doc__ or "").strip(),
            query,
            query_extra,
            body,
            responses,
        )
        ROUTES.append(route)

        @wraps(view)
        def wrapped(**kwargs):
            token = _authenticate(route.scope)
            _check_rate_limit(token)
            if query is not None:
                kwargs["query"] = _validated_query(query, query_extra)
            if body is not None:
                kwargs["body"] = _validated_body(body)
            result = view(token=token, **kwargs)
            value, status = result if isinstance(result, tuple) else (result, 200)
            if isinstance(value, pydantic.BaseModel):
                text = value.model_dump_json()
            else:
                text = current_app.json.dumps(value)
            response = current_app.response_class(text, status=status, mimetype="application/json")
            return with_rate_headers(response)

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        return wrapped

    return decorator


# Tokens and scopes -----------------------------------------------------------------


def _authenticate(scope: str | None) -> ApiToken:
    header = request.headers.get("Authorization", "")
    kind, _, secret = header.partition(" ")
    if not header:
        raise ApiError(
            401, "unauthorized", "No API token: send the header Authorization: Bearer <token>."
        )
    if kind.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "The Authorization header must be: Bearer <token>.")
    token = api_tokens.authenticate(db.session, secret.strip())
    if token is None:
        raise ApiError(401, "unauthorized", "The API token is unknown or has been revoked.")
    if scope is not None and scope not in token.scope_set:
        raise ApiError(
            403,
            "forbidden",
            f"The token {token.name!r} lacks the {scope!r} scope this route needs "
            f"(it has: {', '.join(sorted(token.scope_set))}).",
        )
    return token


# The rate limit ----------------------------------------------------------------------


def init_rate_limit(app: Flask) -> None:
    storage = limits.storage.storage_from_string(app.config["API_RATE_LIMIT_STORAGE"])
    app.extensions["api_rate_limit"] = (
        limits.strategies.FixedWindowRateLimiter(storage),
        limits.parse(app.config["API_RATE_LIMIT"]),
    )


def _check_rate_limit(token: ApiToken) -> None:
    limiter, rate = current_app.extensions["api_rate_limit"]
    key = str(token.id)
    allowed = limiter.hit(rate, "api-token", key)
    stats = limiter.get_window_stats(rate, "api-token", key)
    g.api_rate = (rate, stats)
    if not allowed:
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests for this token: the limit is {rate}. Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


def with_rate_headers(response: Response) -> Response:
    rate, stats = g.get("api_rate", (None, None))
    if rate is not None:
        response.headers["X-RateLimit-Limit"] = str(rate.amount)
        response.headers["X-RateLimit-Remaining"] = str(stats.remaining)
        response.headers["X-RateLimit-Reset"] = str(math.ceil(stats.reset_time))
    return response


# Validation ------------------------------------------------------------------------------


def validation_message(error: pydantic.ValidationError, where: str) -> str:
    problems = []
    for item in error.errors(include_url=False)[:10]:
        place = ".".join(str(part) for part in item["loc"]) or where
        problems.append(f"{place}: {item['msg']}")
    more = error.error_count() - len(problems)
    return f"Invalid {where}: " + "; ".join(problems) + (f"; and {more} more" if more > 0 else "")


def _validated_query(model: type[pydantic.BaseModel], extra: tuple[str, ...]):
    allowed = set(model.model_fields) | set(extra)
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiError(
            400,
            "bad_request",
            f"Unknown query parameter {', '.join(unknown)}: use {', '.join(sorted(allowed))}.",
        )
    values = {name: request.args[name] for name in model.model_fields if request.args.get(name)}
    try:
        return model.model_validate(values)
    except pydantic.ValidationError as error:
        raise ApiError(400, "bad_request", validation_message(error, "query")) from None


def _validated_body(model: type[pydantic.BaseModel]):
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    try:
        return model.model_validate_json(request.get_data())
    except pydantic.ValidationError as error:
        raise ApiError(400, "bad_request", validation_message(error, "body")) from None
