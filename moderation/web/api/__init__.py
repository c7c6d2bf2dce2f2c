"""The versioned JSON API under ``/api/v1``, for sites and tools that send comments in
and take decisions out. Token auth (see :mod:`.core`), no cookies, no CSRF."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.exceptions import HTTPException

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import comments, decisions  # noqa: E402, F401  (the routes register on bp)
from .core import (  # noqa: E402
    ApiError,
    api_route,
    error_response,
    http_error_response,
    in_api,
    init_rate_limit,
    with_rate_headers,
)
from .openapi import describe  # noqa: E402
from .schemas import Error  # noqa: E402


@api_route(
    bp,
    "/openapi.json",
    "GET",
    scope=None,
    summary="This description of the API (OpenAPI 3.1)",
    responses={200: ("The OpenAPI document", None), 401: ("No valid token", Error)},
)
def openapi(token):
    """Generated from the code's route table and schemas."""
    return describe("moderation API", "1")


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return with_rate_headers(
        error_response(error.status, error.code, error.message, error.headers, **error.extra)
    )


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return http_error_response(error)


def init_app(app: Flask) -> None:
    from .. import csrf
    from . import commands

    commands.init_app(app)
    app.register_blueprint(bp)
    csrf.exempt(bp)
    init_rate_limit(app)


__all__ = ["bp", "error_response", "http_error_response", "in_api", "init_app"]
