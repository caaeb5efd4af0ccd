"""workstation orders (BFF)."""
