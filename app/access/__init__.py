"""Who may read what, and who read whose data: scoped API keys and the access log."""
