"""Reference-data service: instruments and venues per tenant, over gRPC."""
