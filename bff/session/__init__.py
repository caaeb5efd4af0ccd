"""session (BFF)."""
