"""Market data service: simulate, replay and adapt feeds, normalise, distribute ticks."""
