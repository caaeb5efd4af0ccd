"""gRPC client layer: channels, deadlines, retries, circuit breakers and status mapping."""
