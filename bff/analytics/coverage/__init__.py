"""analytics coverage (BFF)."""
