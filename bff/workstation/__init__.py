"""workstation (BFF)."""
