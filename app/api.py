"""The REST API: flask-smorest Api, blueprints, bearer scheme and JSON errors everywhere."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import flask_smorest
from flask import Flask, Response, request, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from app import SWAGGER_UI_ASSETS
from app.access.auth import BEARER_SCHEME
from app.customer.service import CustomerMerged, CustomerNotFound
from app.db import BIGINT_MAX
from app.ops.outages import DATABASE, DATABASE_ERRORS, database_answers

logger = logging.getLogger("c360.api")
RETRY_AFTER_S = 5

ErrorResponse = tuple[dict[str, Any], int, dict[str, str]]


def _error(status: HTTPStatus | int, message: str, **extra: Any) -> dict[str, Any]:
    status = HTTPStatus(status)
    return {"code": status.value, "status": status.phrase, "message": message, **extra}


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    """webargs' nested `{location: {field: [messages]}}` as `location.field: message` lines."""
    if isinstance(errors, dict):
        return [
            line
            for key, value in errors.items()
            for line in _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(errors, list | tuple):
        return [line for value in errors for line in _flatten(value, prefix)]
    return [f"{prefix}: {errors}" if prefix else str(errors)]


class RowId(IntegerConverter):
    """A row's number in a path (`<row_id:proposal_id>`): 1 up to a BIGINT's largest, so a
    larger one matches no route (404) rather than overflowing in the database."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=BIGINT_MAX)


def _row_id_schema(converter: RowId) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX}


class Api(flask_smorest.Api):
    def handle_http_exception(self, error: HTTPException) -> ErrorResponse:
        """Every HTTP error as `{code, status, message}` (+ `errors` for invalid input)."""
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        message = data.get("message") or (
            "Invalid input: " + "; ".join(_flatten(errors)) if errors else error.description
        )
        payload = _error(code, message or HTTPStatus(code).phrase)
        if errors:
            payload["errors"] = errors
        # Keep werkzeug's own headers (405's Allow) but not its HTML content type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return payload, code, headers


def _customer_not_found(error: CustomerNotFound) -> ErrorResponse:
    return _error(404, f"No customer {error.global_id}"), 404, {}


def _customer_merged(error: CustomerMerged) -> ErrorResponse:
    """308 to the same resource of the surviving customer, query string kept (pagination)."""
    location = url_for(request.endpoint, **{**request.view_args, "global_id": error.survivor_id})
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    message = f"Customer {error.global_id} was merged into {error.survivor_id}"
    return _error(308, message, location=location), 308, {"Location": location}


def _unexpected(error: Exception) -> ErrorResponse:
    if isinstance(error, DATABASE_ERRORS) and not database_answers():
        DATABASE.failed(error)  # one line per outage, not a traceback per request
        return _unavailable("The database is unreachable")
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return _error(500, "Internal error; it has been logged"), 500, {}


def _unavailable(message: str) -> ErrorResponse:
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    return _error(503, f"{message}; try again shortly"), 503, headers


def init_api(app: Flask) -> Api:
    from app.access.views import blp as access
    from app.account.views import blp as accounts
    from app.events.views import blp as events
    from app.identity.views import blp as identity
    from app.intake.schemas import EVENTS_COMPONENT, events_document
    from app.intake.views import blp as ingest
    from app.intake.views import schemas_blp as event_schemas
    from app.ops.views import blp as ops
    from app.ops.views import init_metrics
    from app.pipeline.views import blp as admin
    from app.profile.schemas import search_document
    from app.profile.views import blp as customers
    from app.risk.views import blp as risk
    from app.stewardship.schemas import proposal_document
    from app.stewardship.views import blp as stewardship
    from app.transaction.views import blp as transactions

    app.url_map.converters["row_id"] = RowId
    api = Api(app)
    api.register_converter(RowId, _row_id_schema)
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    blueprints = (
        customers,
        accounts,
        transactions,
        risk,
        identity,
        stewardship,
        admin,
        access,
        ingest,
        event_schemas,
        events,
        ops,
    )
    settings = app.config["C360_SETTINGS"]
    api.spec.components.schema(EVENTS_COMPONENT, events_document(settings.source_urls))
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    # what a schema's own validator enforces, which no field's metadata can say
    documents = {"Search": search_document, "ProposalCreate": proposal_document}
    for name, document in documents.items():
        api.spec.components.schemas[name] = document(api.spec.components.schemas[name])
    # X-Pagination holds JSON, which OpenAPI says with `content`: a header given a `schema` alone
    # is in the simple style (an object as `total,0,total_pages,0`), as clients would parse it
    pagination = api.spec.components.headers["PAGINATION"]
    pagination["content"] = {"application/json": {"schema": pagination.pop("schema")}}
    app.register_error_handler(CustomerNotFound, _customer_not_found)
    app.register_error_handler(CustomerMerged, _customer_merged)
    app.register_error_handler(Exception, _unexpected)
    init_metrics(app)
    app.add_url_rule(f"{SWAGGER_UI_ASSETS}/<path:filename>", "swagger_ui_asset", _swagger_ui_asset)
    return api


def _swagger_ui_asset(filename: str) -> Response:
    """Swagger UI's own files (JavaScript, CSS) from the pinned package: /docs needs no CDN."""
    return send_from_directory(swagger_ui_path, filename, max_age=86_400)
