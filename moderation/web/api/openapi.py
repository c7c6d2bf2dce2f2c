"""The OpenAPI 3.1 description, generated from the route table and the pydantic models.

Paths, methods, scopes and summaries come from :data:`.core.ROUTES`; query parameters
from each route's query model, and, for the comment listing, from the fields of
:class:`moderation.queue.QueueFilter`; bodies and answers from the models' JSON
Schemas (OpenAPI 3.1 takes JSON Schema 2020-12 as it is).
"""

from __future__ import annotations

import re
import typing
from dataclasses import fields
from datetime import date

from pydantic.json_schema import models_json_schema

from ... import queue
from ...api_tokens import SCOPES
from . import schemas
from .core import ROUTES, ApiRoute

REF = "#/components/schemas/{model}"
FILTER_DESCRIPTIONS = {
    "tab": "The queue's tab (a status, or all); pending by default",
    "article": "Only this article's comments (its id here)",
    "sentiment": "Only comments of this sentiment",
    "min_drift": "Only comments at least this far off topic (0 to 1)",
    "flag": "Only comments carrying this flag",
    "author": "Only this author's comments (the name as shown)",
    "posted_from": "Posted on or after this day (UTC)",
    "posted_to": "Posted on or before this day (UTC)",
    "q": 'Search the text: words, "phrases", prefix*',
}
FILTER_ENUMS = {"tab": list(queue.TABS), "sentiment": list(queue.SENTIMENT_LABELS)}
_PATH_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def describe(title: str, version: str) -> dict:
    models = _models()
    _, definitions = models_json_schema(
        [(model, "serialization") for model in models if model not in _INPUTS]
        + [(model, "validation") for model in _INPUTS],
        ref_template=REF,
    )
    paths: dict[str, dict] = {}
    for route in ROUTES:
        path, path_parameters = _openapi_path(route.rule)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, path_parameters)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Per-client tokens with the scopes " + ", ".join(SCOPES) + ".",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


_INPUTS = (schemas.CommentsIn, schemas.DecisionsIn)


def _models() -> list:
    found = {route.body for route in ROUTES if route.body}
    found |= {model for route in ROUTES for _, model in route.responses.values() if model}
    return sorted(found, key=lambda model: model.__name__)


def _operation(route: ApiRoute, path_parameters: list[dict]) -> dict:
    scope = f"Needs a token with the `{route.scope}` scope." if route.scope else "Any token."
    operation = {
        "operationId": route.endpoint.rpartition(".")[2],
        "summary": route.summary,
        "description": f"{route.description}\n\n{scope}".strip(),
        "parameters": path_parameters + _query_parameters(route),
        "responses": {
            str(status): _response(description, model)
            for status, (description, model) in sorted(route.responses.items())
        },
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(route.body)}},
        }
    return operation


def _response(description: str, model) -> dict:
    response = {"description": description}
    if model is not None:
        response["content"] = {"application/json": {"schema": _ref(model)}}
    return response


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    parameters = []
    for converter, name in _PATH_PARAMETER.findall(rule):
        schema = {"type": "string"}
        if converter in ("id", "int"):
            schema = {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PATH_PARAMETER.sub(r"{\2}", rule), parameters


def _query_parameters(route: ApiRoute) -> list[dict]:
    parameters = []
    if route.query is not None:
        model_schema = route.query.model_json_schema(ref_template=REF)
        for name, field_schema in model_schema["properties"].items():
            field_schema = dict(field_schema)
            description = field_schema.pop("description", None)
            field_schema.pop("title", None)
            parameter = {"name": name, "in": "query", "required": False, "schema": field_schema}
            if description:
                parameter["description"] = description
            parameters.append(parameter)
    if route.query_extra == tuple(f.name for f in fields(queue.QueueFilter)):
        parameters += _queue_filter_parameters()
    return parameters


def _queue_filter_parameters() -> list[dict]:
    """The queue's filters as query parameters, typed from QueueFilter's annotations."""
    hints = typing.get_type_hints(queue.QueueFilter)
    parameters = []
    for field in fields(queue.QueueFilter):
        kinds = set(typing.get_args(hints[field.name])) or {hints[field.name]}
        kinds.discard(type(None))
        if field.name in FILTER_ENUMS:
            schema = {"type": "string", "enum": FILTER_ENUMS[field.name]}
        elif int in kinds:
            schema = {"type": "integer", "minimum": 1}
        elif float in kinds:
            schema = {"type": "number", "minimum": 0, "maximum": 1}
        elif date in kinds:
            schema = {"type": "string", "format": "date"}
        else:
            schema = {"type": "string"}
        parameters.append(
            {
                "name": field.name,
                "in": "query",
                "required": False,
                "description": FILTER_DESCRIPTIONS[field.name],
                "schema": schema,
            }
        )
    return parameters
