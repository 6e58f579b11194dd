"""The Enterprise Brain: Flask API factory and the Celery app bound to it (Flask's pattern)."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

from app.config import Settings


def celery_init_app(app: Flask) -> Celery:
    """Celery whose tasks run inside the Flask app context (Flask's FlaskTask pattern)."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


SWAGGER_UI_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    from app.celeryconfig import celery_config
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
        CELERY=celery_config(settings),
    )
    app.config.update(overrides)
    celery_init_app(app)

    from app.api import init_api

    init_api(app)
    return app
