"""Prometheus metrics of the BFF: operations, latency, WebSockets, subscriptions, downstreams."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

OPERATIONS = Counter(
    "orion_bff_operations_total",
    "GraphQL operations by subgraph, operation name, type and outcome",
    ["subgraph", "operation", "type", "outcome"],
)
OPERATION_LATENCY = Histogram(
    "orion_bff_operation_seconds",
    "GraphQL operation latency (parse, validate, execute)",
    ["subgraph", "type"],
    buckets=LATENCY_BUCKETS,
)
OPEN_WEBSOCKETS = Gauge(
    "orion_bff_open_websockets", "Open graphql-transport-ws connections", ["subgraph"]
)
ACTIVE_SUBSCRIPTIONS = Gauge(
    "orion_bff_active_subscriptions", "Subscriptions running now", ["subgraph"]
)
SESSION_CLOSES = Counter(
    "orion_bff_session_closes_total", "WebSocket sessions closed by the server", ["reason"]
)
DOWNSTREAM_CALLS = Counter(
    "orion_bff_downstream_calls_total",
    "gRPC calls by downstream, method and status",
    ["downstream", "method", "status"],
)
DOWNSTREAM_LATENCY = Histogram(
    "orion_bff_downstream_seconds",
    "gRPC call latency by downstream and method",
    ["downstream", "method"],
    buckets=LATENCY_BUCKETS,
)
MASKED_ERRORS = Counter(
    "orion_bff_masked_errors_total", "Unexpected errors masked with an error id", ["subgraph"]
)
