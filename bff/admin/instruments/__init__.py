"""admin instruments (BFF)."""
