"""Workstation market data: the marketSnapshot query and the marketData subscription."""
