"""The feed of the Brain's events (`read`), and webhook subscriptions (`admin`)."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort

from app import db
from app.access.auth import SecuredBlueprint, current_principal
from app.access.keys import ADMIN, READ
from app.events import feed, webhooks
from app.events.schemas import (
    FeedArgsSchema,
    FeedPageSchema,
    SubscriptionCreateSchema,
    SubscriptionSchema,
)

blp = SecuredBlueprint("events", __name__, scope=READ, description="The Brain's events")


@blp.route("/events")
@blp.arguments(FeedArgsSchema(), location="query")
@blp.response(200, FeedPageSchema)
def get_events(args: dict[str, Any]) -> feed.Page:
    """The Brain's events after a cursor, oldest first (CloudEvents 1.0 JSON)

    Every event carries IDs, levels and field names, never a personal value. One customer's
    events come in the order of their `profileversion`. Read on with the page's `cursor`:
    a consumer that was away catches up from the last one it kept.
    """
    with db.transaction() as conn:
        feed.stamp(conn)
    with db.transaction() as conn:
        return feed.read(conn, args["after"], args["limit"], args.get("types"))


@blp.route("/subscriptions", methods=["POST"], scope=ADMIN)
@blp.arguments(SubscriptionCreateSchema())
@blp.response(201, SubscriptionSchema)
def post_subscription(args: dict[str, Any]) -> dict[str, Any]:
    """Register a webhook: it receives the events of its types written from now on

    Each delivery is a POST of a JSON array of events (`application/cloudevents-batch+json`),
    in feed order, signed: `X-C360-Signature: sha256=<hex HMAC-SHA256 of the body under the
    secret>`. A receiver that fails is tried again with a doubling wait for 24 hours, then
    parked until resumed.
    """
    with db.transaction() as conn:
        return webhooks.subscribe(
            conn, args["url"], args["types"], args["secret"], current_principal().name
        )


@blp.route("/subscriptions", scope=ADMIN)
@blp.response(200, SubscriptionSchema(many=True))
def get_subscriptions() -> list[dict[str, Any]]:
    """The webhook subscriptions: where each stands, parked ones and their last error"""
    with db.connect() as conn:
        return webhooks.subscriptions(conn)


@blp.route("/subscriptions/<row_id:subscription_id>", scope=ADMIN)
@blp.response(200, SubscriptionSchema)
def get_subscription(subscription_id: int) -> dict[str, Any]:
    """One webhook subscription"""
    with db.connect() as conn:
        found = webhooks.subscriptions(conn, subscription_id)
    if not found:
        abort(404, message=f"No subscription {subscription_id}")
    return found[0]


@blp.route("/subscriptions/<row_id:subscription_id>", methods=["DELETE"], scope=ADMIN)
@blp.response(204)
def delete_subscription(subscription_id: int) -> None:
    """Stop a webhook subscription"""
    with db.transaction() as conn:
        if not webhooks.unsubscribe(conn, subscription_id):
            abort(404, message=f"No subscription {subscription_id}")


@blp.route("/subscriptions/<row_id:subscription_id>/resume", methods=["POST"], scope=ADMIN)
@blp.response(200, SubscriptionSchema)
def resume_subscription(subscription_id: int) -> dict[str, Any]:
    """Send to a parked (or waiting) subscription again, now, from where it stopped"""
    with db.transaction() as conn:
        if not webhooks.resume(conn, subscription_id):
            abort(404, message=f"No subscription {subscription_id}")
        return webhooks.subscriptions(conn, subscription_id)[0]
