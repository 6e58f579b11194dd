"""Bearer keys with scopes for the data endpoints (`Authorization: Bearer <key>`), and the access
log entry of every response they get (docs/access.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any
from uuid import UUID

from flask import Response, current_app, g, request
from flask_smorest import Blueprint, abort
from sqlalchemy import Connection
from werkzeug.exceptions import Unauthorized

from app import db
from app.access.audit import record_access
from app.access.keys import READ, SCOPES, Principal, authenticate, forget, remembered

BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": f"An API key (`c360 keys create`), with scopes among {', '.join(SCOPES)}",
}


def serving(customer_ids: Iterable[UUID]) -> None:
    """Note the Global Customer IDs this response carries, for its access log entry."""
    g.served_customers = [*g.get("served_customers", []), *customer_ids]


def current_principal() -> Principal:
    return g.principal


def _primary() -> Connection:
    """The request's connection to the primary (db.request_connection), shared by its key
    check, its reads and its access log entry."""
    if "primary" not in g:
        context = ExitStack()
        g.primary = context.enter_context(db.request_connection())
        g.primary_context = context  # only once there is a connection to give back
    return g.primary


def _release_primary(error: BaseException | None) -> None:
    context = g.pop("primary_context", None)
    if context is not None:
        del g.primary
        context.__exit__(type(error) if error else None, error, error and error.__traceback__)


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            message="Missing bearer key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": 'Bearer realm="c360"'},
        )
    return token.strip()


class SecuredBlueprint(Blueprint):
    """A blueprint whose every route needs a key holding a scope (the blueprint's, or the
    route's own): enforced, documented per operation, and every successful response recorded
    in the access log with the customers it served."""

    def __init__(self, *args: Any, scope: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.route_scopes: dict[str, str] = {}
        self.before_request(self._authorize)
        self.after_request(self._record_access)
        self.teardown_request(_release_primary)

    def route(self, rule: str, *, scope: str | None = None, **options: Any) -> Callable:
        register = super().route(rule, **options)
        required = scope or self.scope

        def decorator(func: Callable) -> Callable:
            self.route_scopes[options.get("endpoint", func.__name__)] = required
            documented = self.alt_response(401, response="UNAUTHORIZED")(func)
            documented = self.alt_response(403, response="FORBIDDEN")(documented)
            security: list[dict[str, list[str]]] = [{"bearerAuth": []}]
            return register(self.doc(security=security, **{"x-scope": required})(documented))

        return decorator

    def _required_scope(self) -> str:
        return self.route_scopes.get((request.endpoint or "").rpartition(".")[2], self.scope)

    def _authorize(self) -> None:
        token = _bearer_token()
        # every request that gets this far writes to the primary (its access-log entry, or its
        # key check): taken now, a read without a replica shares it (db.read) rather than
        # checking out a connection of its own
        _primary()
        required = self._required_scope()
        # a read may take a key this process knows active: its access log entry is written
        # only while the key still is, so a revoked key's response never leaves (_record_access)
        principal = remembered(token) if required == READ else None
        g.key_remembered = principal is not None
        if principal is None:
            principal = _authenticate(token)
        if principal is None:
            abort(401, message="Invalid bearer key", headers=INVALID_KEY_HEADERS)
        elif not principal.may(required):
            abort(
                403,
                message=f"This key ({principal.name}) lacks the '{required}' scope, "
                f"which {request.method} {_route()} needs",
            )
        else:
            g.principal = principal

    def _record_access(self, response: Response) -> Response:
        """Log a successful response before it leaves; if the log cannot be written, the
        response does not leave either (the error handler answers 500). A key revoked since
        this process remembered it gets a 401 instead of the response, whatever its status."""
        principal = g.get("principal")
        if principal is None:
            return response
        if not 200 <= response.status_code < 300:
            if g.key_remembered and _authenticate(_bearer_token()) is None:
                return _invalid_key_response()
            return response
        logged = record_access(
            _primary(),
            key_name=principal.name,
            method=request.method,
            endpoint=_route(),
            status=response.status_code,
            customer_ids=g.get("served_customers", []),
            remote_addr=request.remote_addr,
            while_active=principal.stored,
        )
        if not logged:
            forget(_bearer_token())
            return _invalid_key_response()
        return response


def _route() -> str:
    """The matched route's rule ('/customer/<uuid:global_id>'): what a request is logged as."""
    rule = request.url_rule
    return rule.rule if rule is not None else request.path


INVALID_KEY_HEADERS = {"WWW-Authenticate": 'Bearer realm="c360", error="invalid_token"'}


def _authenticate(token: str) -> Principal | None:
    return authenticate(_primary(), token, current_app.config["C360_SETTINGS"].api_keys)


def _invalid_key_response() -> Response:
    """The 401 of an invalid key, as the API's error handler makes it, given after the view
    ran (an error raised in an after_request handler would answer 500)."""
    error = Unauthorized()
    # the payload abort() sets, which flask-smorest's error handler reads
    error.data = {"message": "Invalid bearer key", "headers": INVALID_KEY_HEADERS}  # type: ignore[attr-defined]
    return current_app.make_response(current_app.handle_http_exception(error))
