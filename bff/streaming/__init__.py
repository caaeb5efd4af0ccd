"""Market-data fan-out hub: shared resolution and encoding per selection, coalesced sessions."""
