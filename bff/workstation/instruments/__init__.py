"""workstation instruments (BFF)."""
