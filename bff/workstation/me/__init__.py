"""workstation me (BFF)."""
