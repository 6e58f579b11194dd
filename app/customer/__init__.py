"""The profiles themselves: the tables (`customer_360`, `source_customer`, `merge_history`), the
one writer of profiles and links (`profiles.py`), golden records and merged-ID resolution. Every
domain reads through it; it serves no endpoint of its own: the unified profile that reads across
the domains is served by `app.profile` (docs/layout.md)."""
