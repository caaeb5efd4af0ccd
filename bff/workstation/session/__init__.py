"""workstation session (BFF)."""
