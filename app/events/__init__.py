"""Events out, delivered: the feed (`GET /events`), the relay that publishes to RabbitMQ and
calls webhooks (`c360 relay`), and the webhook subscriptions. The events themselves are written
by the changes they report (`app/outbox`). See docs/events.md."""
