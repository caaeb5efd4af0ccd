"""admin (BFF)."""
