"""admin tenants (BFF)."""
