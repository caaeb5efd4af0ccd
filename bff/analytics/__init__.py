"""analytics (BFF)."""
