"""Data stewardship: people correcting identity, four eyes on every change."""
