"""admin users (BFF)."""
