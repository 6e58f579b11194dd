"""What changed in the profiles, written as events in the same transaction as the change (the
transactional outbox): `record` is called by the one write path (`app/customer/profiles.py`)
and by the risk step. Delivery (the feed, AMQP, webhooks) is `app/events`. See docs/events.md."""
