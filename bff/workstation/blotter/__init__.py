"""workstation blotter (BFF)."""
