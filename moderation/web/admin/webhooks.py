"""Webhook endpoints: add one (its secret is shown once), pause or resume it, rotate its
secret, send its failed deliveries again, remove it; and each one's delivery log."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ...extensions import db
from ...models import WebhookEndpoint, utcnow
from ...webhooks import endpoints
from ...webhooks.events import EVENT_TYPES
from ..access import ADMINS, requires
from ..forms import EmptyForm, choices
from . import bp


class EndpointForm(FlaskForm):
    url = StringField("URL", validators=[DataRequired(), Length(max=endpoints.MAX_URL_LENGTH)])
    event_types = SelectMultipleField(
        "Events",
        choices=choices([(name, name) for name in EVENT_TYPES]),
        default=list(EVENT_TYPES),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    submit = SubmitField("Add webhook")


def _render(form: EndpointForm, secret: tuple[str, str] | None = None, status: int = 200):
    return (
        render_template(
            "admin/webhooks.html",
            form=form,
            states=endpoints.list_endpoints(db.session),
            secret=secret,
            empty_form=EmptyForm(),
            now=utcnow(),
        ),
        status,
    )


@bp.route("/webhooks", methods=["GET", "POST"])
@requires(ADMINS)
def webhooks():
    form = EndpointForm()
    if not form.validate_on_submit():
        return _render(form, status=400 if form.is_submitted() else 200)
    try:
        endpoint, secret = endpoints.add_endpoint(
            db.session, form.url.data, form.event_types.data or [], current_user.user
        )
    except endpoints.EndpointError as error:
        form.url.errors.append(str(error))
        return _render(form, status=400)
    # Shown on this answer only, never redirected to, like an API token.
    return _render(EndpointForm(formdata=None), secret=(endpoint.url, secret))


@bp.route("/webhooks/<id:endpoint_id>")
@requires(ADMINS)
def webhook_log(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return render_template(
        "admin/webhook_log.html",
        endpoint=endpoint,
        attempts=endpoints.recent_attempts(db.session, endpoint.id),
        failed=endpoints.failed_deliveries(db.session, endpoint.id),
        empty_form=EmptyForm(),
    )


@bp.route("/webhooks/<id:endpoint_id>/rotate", methods=["POST"])
@requires(ADMINS)
def webhook_rotate(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.webhooks"))
    grace = current_app.config["WEBHOOK_ROTATION_GRACE"]
    secret = endpoints.rotate_secret(db.session, endpoint, grace)
    return _render(EndpointForm(formdata=None), secret=(endpoint.url, secret))


@bp.route("/webhooks/<id:endpoint_id>/active", methods=["POST"])
@requires(ADMINS)
def webhook_toggle(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if EmptyForm().validate_on_submit():
        endpoints.set_active(db.session, endpoint, not endpoint.active)
        state = "resumed" if endpoint.active else "paused: it is owed no new events"
        flash(f"Webhook {endpoint.url} {state}.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.route("/webhooks/<id:endpoint_id>/retry", methods=["POST"])
@requires(ADMINS)
def webhook_retry(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if EmptyForm().validate_on_submit():
        count = endpoints.retry_failed(db.session, endpoint)
        flash(f"{count} failed deliveries to {endpoint.url} will be sent again.", "success")
    return redirect(url_for("admin.webhook_log", endpoint_id=endpoint.id))


@bp.route("/webhooks/<id:endpoint_id>/remove", methods=["POST"])
@requires(ADMINS)
def webhook_remove(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if EmptyForm().validate_on_submit():
        url = endpoint.url
        endpoints.remove_endpoint(db.session, endpoint)
        flash(f"Webhook {url} removed, with what it was still owed.", "success")
    return redirect(url_for("admin.webhooks"))
