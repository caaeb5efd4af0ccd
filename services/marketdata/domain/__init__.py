"""Pure market-data domain: instruments, simulator, normaliser, staleness; no I/O."""
