"""Prometheus metrics of market-data ingestion: ticks in, dropped by reason, late, stale."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

TICKS_IN = Counter("orion_md_ticks_in", "Raw quotes received by ingestion", ["source"])
TICKS_PUBLISHED = Counter("orion_md_ticks_published", "Canonical ticks appended to the log")
TICKS_DROPPED = Counter("orion_md_ticks_dropped", "Raw quotes dropped as malformed", ["reason"])
TICKS_LATE = Counter("orion_md_ticks_late", "Ticks kept with late=true")
STALE_INSTRUMENTS = Gauge("orion_md_stale_instruments", "Instruments currently stale")
PUBLISH_QUEUE = Gauge("orion_md_publish_queue", "Ticks waiting for the batch publisher")
