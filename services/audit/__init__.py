"""Audit trail: append-only, tenant-scoped, hash-chained records of commands and decisions."""
