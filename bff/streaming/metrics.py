"""Hub counters and an allocation-free latency histogram, exported to Prometheus on scrape."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY, Collector

# Milliseconds; the target is p99 <= 150 ms, so resolution matters most below 250 ms.
LATENCY_BUCKETS_MS = (1, 2, 5, 10, 20, 35, 50, 75, 100, 125, 150, 200, 250, 400, 750, 1500, 5000)


@dataclass
class LatencyHistogram:
    """Counts per bucket (ms); observe is a bisect and an increment, cheap enough per send."""

    bounds: tuple[float, ...] = LATENCY_BUCKETS_MS
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))
    total_ms: float = 0.0
    n: int = 0

    def observe(self, ms: float, count: int = 1) -> None:
        """`count` deliveries that all waited `ms` (one flush writes many sockets at once)."""
        self.counts[bisect.bisect_left(self.bounds, ms)] += count
        self.total_ms += ms * count
        self.n += count

    def quantile(self, q: float) -> float:
        """Upper bound of the bucket holding quantile q (conservative); inf past the last."""
        if self.n == 0:
            return 0.0
        target = q * self.n
        seen = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            seen += count
            if seen >= target:
                return bound
        return float("inf")


@dataclass
class StreamStats:
    """Everything the hub counts; read by tests, the benchmark and the Prometheus collector."""

    ticks_in: int = 0
    ticks_late: int = 0
    ticks_stale_seq: int = 0
    group_arrivals: int = 0
    updates_emitted: int = 0
    frames_built: int = 0
    payload_encodes: int = 0
    deliveries: int = 0
    # Deliveries written straight to the socket by the flush (ADR 0012), included in deliveries.
    direct_writes: int = 0
    frames_dropped: int = 0
    resyncs: int = 0
    snapshot_failures: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    @property
    def coalescing_ratio(self) -> float:
        """Instrument ticks reaching groups per instrument update sent (higher = more merged)."""
        return self.group_arrivals / self.updates_emitted if self.updates_emitted else 0.0


class HubCollector(Collector):
    """Reads a hub's stats at scrape time, so the hot path touches only plain integers."""

    def __init__(self, stats: StreamStats, depths: DepthSource) -> None:
        self._stats = stats
        self._depths = depths

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        s = self._stats
        for name, value, doc in (
            ("ticks_in", s.ticks_in, "Ticks received by the hub"),
            ("ticks_late", s.ticks_late, "Late ticks not applied to the latest value"),
            ("ticks_dropped", s.frames_dropped, "Frames dropped for slow sessions (resynced)"),
            ("deliveries", s.deliveries, "Frames sent to sessions"),
            ("direct_writes", s.direct_writes, "Deliveries written by the flush itself"),
            ("payload_encodes", s.payload_encodes, "JSON payload encodings (one per frame)"),
        ):
            yield CounterMetricFamily(f"orion_md_hub_{name}", doc, value=value)
        yield GaugeMetricFamily(
            "orion_md_hub_coalescing_ratio", "Ticks per update sent", value=s.coalescing_ratio
        )
        depths = self._depths.queue_depths()
        yield GaugeMetricFamily(
            "orion_md_hub_queue_depth_max", "Deepest session queue", value=max(depths, default=0)
        )
        yield GaugeMetricFamily("orion_md_hub_sessions", "Hub subscriptions", value=len(depths))
        yield _histogram(s.latency)


class DepthSource:
    """Anything that can list its sessions' queue depths (the hub)."""

    def queue_depths(self) -> list[int]:
        raise NotImplementedError


def _histogram(h: LatencyHistogram) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound, count in zip(h.bounds, h.counts, strict=False):
        running += count
        buckets.append((str(bound / 1000), running))
    buckets.append(("+Inf", h.n))
    return HistogramMetricFamily(
        "orion_md_hub_ingest_to_send_seconds",
        "Ingest receive time to WebSocket send, per frame (oldest value in the frame)",
        buckets=buckets,
        sum_value=h.total_ms / 1000,
    )


def register(stats: StreamStats, depths: DepthSource) -> HubCollector:
    collector = HubCollector(stats, depths)
    REGISTRY.register(collector)
    return collector
