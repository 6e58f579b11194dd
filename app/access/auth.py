"""Bearer-key authentication for the data endpoints (CONTRACT: `Authorization: Bearer <key>`)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint, abort

BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "An API key (C360_API_KEYS)"}
BEARER_AUTH = [{"bearerAuth": []}]


def key_is_valid(presented: str, keys: tuple[str, ...]) -> bool:
    """Constant-time check of `presented` against every configured key; no keys accept nothing."""
    # Bytes, because compare_digest refuses non-ASCII str (and header values may hold any).
    candidate = presented.encode()
    valid = False
    for key in keys:
        valid |= hmac.compare_digest(candidate, key.encode())
    return valid


def require_bearer() -> None:
    """`before_request` hook: abort 401 unless the request carries a configured key."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            message="Missing bearer key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": 'Bearer realm="c360"'},
        )
    if not key_is_valid(token.strip(), current_app.config["C360_SETTINGS"].api_keys):
        abort(
            401,
            message="Invalid bearer key",
            headers={"WWW-Authenticate": 'Bearer realm="c360", error="invalid_token"'},
        )


class SecuredBlueprint(Blueprint):
    """A blueprint whose every route needs a bearer key: enforced, and documented per operation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(require_bearer)

    def route(self, rule: str, **options: Any) -> Callable[[Callable], Callable]:
        register = super().route(rule, **options)

        def decorator(func: Callable) -> Callable:
            documented = self.alt_response(401, response="UNAUTHORIZED")(func)
            return register(self.doc(security=BEARER_AUTH)(documented))

        return decorator
