"""Helpers shared by the event-backbone benchmark and its crash / integration tests."""
