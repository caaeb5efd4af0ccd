"""Dataset format: gzip JSON lines, a header line then one quote per line with its offset."""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import orjson

FORMAT = "orion-marketdata-ticks"
VERSION = 1


@dataclass(frozen=True, slots=True)
class RecordedQuote:
    """One quote as recorded: its offset from the first quote and the raw quote fields."""

    offset_ns: int
    instrument: str
    bid: str
    ask: str
    source: str


@dataclass(frozen=True)
class Dataset:
    """A recording: description in the header, quotes ordered by offset."""

    quotes: Sequence[RecordedQuote]
    description: str = ""
    instruments: tuple[str, ...] = field(default=())

    @property
    def duration_ns(self) -> int:
        return self.quotes[-1].offset_ns if self.quotes else 0


def encode(dataset: Dataset) -> bytes:
    """Serialise to gzip JSON lines (mtime fixed so the same dataset gives the same bytes)."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "description": dataset.description,
        "instruments": list(dataset.instruments),
        "count": len(dataset.quotes),
    }
    lines = [orjson.dumps(header)]
    lines += [
        orjson.dumps({"o": q.offset_ns, "i": q.instrument, "b": q.bid, "a": q.ask, "s": q.source})
        for q in dataset.quotes
    ]
    return gzip.compress(b"\n".join(lines) + b"\n", mtime=0)


def decode(data: bytes) -> Dataset:
    """Parse a dataset; raises ValueError on a wrong format or version (a file, not a feed)."""
    lines = gzip.decompress(data).splitlines()
    if not lines:
        raise ValueError("empty dataset")
    header = orjson.loads(lines[0])
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ValueError(f"not an {FORMAT} v{VERSION} dataset")
    quotes = [_quote(orjson.loads(line)) for line in lines[1:] if line.strip()]
    if any(b.offset_ns < a.offset_ns for a, b in itertools.pairwise(quotes)):
        raise ValueError("dataset offsets must not decrease")
    if header.get("count") not in (None, len(quotes)):
        raise ValueError(f"dataset truncated: header says {header['count']}, found {len(quotes)}")
    return Dataset(quotes, str(header.get("description", "")), tuple(header.get("instruments", ())))


def _quote(obj: dict[str, object]) -> RecordedQuote:
    return RecordedQuote(
        int(str(obj["o"])), str(obj["i"]), str(obj["b"]), str(obj["a"]), str(obj["s"])
    )


def from_ticks(rows: Iterable[tuple[int, str, str, str, str]], description: str = "") -> Dataset:
    """Build a dataset from (timestamp_ns, instrument, bid, ask, source), rebased to offset 0."""
    ordered = sorted(rows, key=lambda r: r[0])
    start = ordered[0][0] if ordered else 0
    quotes = [RecordedQuote(ts - start, i, b, a, s) for ts, i, b, a, s in ordered]
    instruments = tuple(sorted({q.instrument for q in quotes}))
    return Dataset(quotes, description, instruments)
