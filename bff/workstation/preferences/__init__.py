"""Per-user workstation preferences (layout, watchlists, theme) saved on the server."""
