"""workstation rfq (BFF)."""
