"""Events from the source systems: the CloudEvents envelope and each type's schema
(envelope.py), staging them as the polls stage rows (service.py), and the HTTP intake
(views.py). docs/events.md."""
