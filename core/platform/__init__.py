"""Composition root: builds, starts and stops every platform component for a profile."""
