"""The Enterprise Brain's HTTP API: the Flask app factory. (The Celery app, which the API does not
need, is made in app/celeryconfig.py for the worker, beat, Flower and the CLI.)"""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.config import Settings

SWAGGER_UI_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    from app.logs import configure_logging

    settings = settings or Settings.from_env()
    configure_logging()
    app = Flask(__name__)
    app.config.update(
        C360_SETTINGS=settings,
        API_TITLE="Wekeza Enterprise Brain",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # served by the app itself from the pinned swagger-ui-bundle: a bank's network reaches
        # no CDN
        OPENAPI_SWAGGER_UI_URL=f"{SWAGGER_UI_ASSETS}/",
    )
    app.config.update(overrides)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # the client's address, as the trusted proxies saw it, for the access log
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)  # type: ignore[method-assign]

    from app.api import init_api

    init_api(app)
    return app
