"""common (BFF)."""
