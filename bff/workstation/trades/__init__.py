"""workstation trades (BFF)."""
