"""The web interface: the moderation queue, decisions, the audit log and the admin pages.

Every page needs a signed-in account with the right role (see :mod:`.access`);
only the sign-in page and static files are public. Every form carries a CSRF
token (Flask-WTF's CSRFProtect refuses any POST without one). Comment text is
hostile input: templates autoescape it and never mark it safe, and the
Content-Security-Policy allows no inline script at all.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from ..database import database_is_busy
from ..decision_export import EXPORT_ACTIONS
from . import fast, queue_rows, text

login_manager = LoginManager()
csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


BUSY_RETRY_SECONDS = 5
# The views that take a file upload, up to MAX_CONTENT_LENGTH; any other request body
# may be MAX_FORM_CONTENT_LENGTH at most.
UPLOAD_ENDPOINTS = frozenset({"admin.upload", "api.post_comments"})


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id, 1 to 2**31-1, so no URL can overflow a query."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app: Flask) -> None:
    from . import (
        access,
        admin,
        api,
        auth,
        authors,
        campaigns,
        comments,
        exports,
        home,
        queue,
        reports,
        responses,
    )

    app.url_map.converters["id"] = IdConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(access.load_account)
    # Before CSRFProtect's check, which reads the form.
    app.before_request(refuse_large_bodies)
    csrf.init_app(app)

    for module in (auth, home, queue, comments, authors, campaigns, admin, reports, exports):
        app.register_blueprint(module.bp)
    api.init_app(app)

    app.jinja_env.filters["paragraphs"] = text.paragraphs
    app.jinja_env.filters["reason_text"] = text.reason_text
    app.jinja_env.filters["first_line"] = text.first_line
    app.jinja_env.filters["when"] = text.format_time
    app.jinja_env.filters["http_url"] = text.http_url
    app.jinja_env.globals["role_allows"] = access.role_allows
    app.jinja_env.globals["id_url"] = fast.id_url
    app.jinja_env.globals["query_url"] = fast.query_url
    app.jinja_env.globals["csrf_value"] = fast.csrf_value
    app.jinja_env.globals["queue_rows"] = queue_rows.queue_rows
    app.jinja_env.globals["decision_buttons"] = queue.decision_buttons
    app.jinja_env.globals["decision_export_actions"] = EXPORT_ACTIONS

    @app.after_request
    def security_headers(response):
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    def error_page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(
            400,
            "Form expired or invalid",
            "The form was missing its security token. Go back, reload the page and try again.",
        )

    @app.errorhandler(sa.exc.OperationalError)
    def database_busy(error):
        if not database_is_busy(error):
            raise error
        message = (
            "The database is busy: an import is probably writing to it. Nothing was "
            "changed; try again in a moment."
        )
        if api.in_api():
            response = api.error_response(503, "busy", message)
        elif responses.wants_json():
            response = jsonify({"ok": False, "category": "busy", "message": message})
            response.status_code = 503
        else:
            response = app.make_response(error_page(503, "Database busy", message))
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return response

    # Routing errors (404, 405) have no blueprint to handle them: the API's are told apart
    # by their path, and answered in JSON like every other API error.
    @app.errorhandler(HTTPException)
    def other_http_error(error):
        return api.http_error_response(error) if api.in_api() else error

    @app.errorhandler(403)
    def forbidden(error):
        if api.in_api():
            return api.http_error_response(error)
        return error_page(403, "Not allowed", "Your account's role does not allow this page.")

    @app.errorhandler(404)
    def not_found(error):
        if api.in_api():
            return api.http_error_response(error)
        return error_page(404, "Not found", "There is nothing at this address.")

    @app.errorhandler(413)
    def too_large(error):
        if api.in_api():
            return api.http_error_response(error)
        limit_mb = (body_limit(request.endpoint) or 0) / (1024 * 1024)
        if request.endpoint not in UPLOAD_ENDPOINTS:
            return error_page(
                413, "Request too large", f"This page accepts at most {limit_mb:g} MB."
            )
        return error_page(
            413,
            "File too large",
            f"Uploads are limited to {limit_mb:g} MB. Import larger files with "
            "`moderation import` on the server; nothing was imported.",
        )


def body_limit(endpoint: str | None) -> int | None:
    """The largest request body ``endpoint`` accepts, in bytes (None: no limit)."""
    key = "MAX_CONTENT_LENGTH" if endpoint in UPLOAD_ENDPOINTS else "MAX_FORM_CONTENT_LENGTH"
    return current_app.config.get(key)


def refuse_large_bodies() -> None:
    """413 on the Content-Length alone, before any of the body is read; a body of
    unknown length is cut off at the limit while it is read."""
    limit = body_limit(request.endpoint)
    request.max_content_length = limit
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
