"""Replay of the shipped dataset: exact timing per speed factor, order, nothing lost, max mode."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from services.marketdata.domain.clock import ManualClock
from services.marketdata.replay.dataset import Dataset, RecordedQuote, decode, encode
from services.marketdata.replay.player import ReplayFeed, due_ns, parse_speed
from services.marketdata.replay.recorder import simulated_dataset
from services.marketdata.replay.store import LocalDirectoryStore

DATASETS = Path(__file__).resolve().parents[3] / "services" / "marketdata" / "datasets"
SHIPPED = "sim-fx-rates-credit-120s.jsonl.gz"


async def _shipped() -> Dataset:
    return decode(await LocalDirectoryStore(DATASETS).get(SHIPPED))


async def _play(feed: ReplayFeed, clock: ManualClock) -> list[tuple[int, dict[str, object]]]:
    out: list[tuple[int, dict[str, object]]] = []
    async for quote in feed.quotes():
        assert isinstance(quote, dict)
        out.append((clock.now_ns(), quote))
    return out


@pytest.mark.parametrize("speed", ["0.2x", "1x", "5x"])
async def test_each_quote_goes_out_at_offset_divided_by_speed_in_order(speed: str) -> None:
    dataset = await _shipped()
    clock = ManualClock()
    start = clock.now_ns()
    factor = parse_speed(speed)
    assert factor is not None
    sent = await _play(ReplayFeed(dataset, clock, factor), clock)
    assert len(sent) == len(dataset.quotes) > 5_000
    for (at, quote), recorded in zip(sent, dataset.quotes, strict=True):
        assert at == start + int(Fraction(recorded.offset_ns) / factor)
        assert (quote["instrument"], quote["bid"], quote["ask"]) == (
            recorded.instrument,
            recorded.bid,
            recorded.ask,
        )
        assert quote["ts"] == at
    assert sent[-1][0] - start == int(Fraction(dataset.duration_ns) / factor)


async def test_max_speed_never_sleeps_and_loses_nothing() -> None:
    dataset = await _shipped()
    clock = ManualClock()
    sent = await _play(ReplayFeed(dataset, clock, speed=None), clock)
    assert len(sent) == len(dataset.quotes)
    assert clock.sleeps == []
    assert {at for at, _ in sent} == {clock.now_ns()}


async def test_loop_replays_the_file_again_after_its_end() -> None:
    quotes = [RecordedQuote(i * 1_000, "FX.EURUSD", "1.1", "1.2", "sim") for i in range(3)]
    clock = ManualClock(start_ns=0)
    sent = await _play(
        ReplayFeed(Dataset(quotes), clock, Fraction(1), loop=True, max_loops=3), clock
    )
    assert [at for at, _ in sent] == [0, 1_000, 2_000, 2_000, 3_000, 4_000, 4_000, 5_000, 6_000]


def test_speed_parsing() -> None:
    assert parse_speed("0.2x") == Fraction(1, 5)
    assert parse_speed("5") == 5
    assert parse_speed("MAX") is None
    with pytest.raises(ValueError, match="positive"):
        parse_speed("0x")
    assert due_ns(100, 1_000, Fraction(1, 5)) == 5_100


def test_dataset_round_trips_and_encoding_is_deterministic() -> None:
    dataset = simulated_dataset(5, instruments=3)
    blob = encode(dataset)
    assert decode(blob) == dataset
    assert encode(simulated_dataset(5, instruments=3)) == blob


async def test_shipped_dataset_is_small_and_rebuildable() -> None:
    blob = (DATASETS / SHIPPED).read_bytes()
    assert len(blob) < 200 * 1024
    assert encode(simulated_dataset(120)) == blob


def test_truncated_or_foreign_files_are_refused() -> None:
    import gzip

    blob = gzip.decompress(encode(simulated_dataset(2, instruments=2)))
    truncated = gzip.compress(b"\n".join(blob.splitlines()[:-1]))
    with pytest.raises(ValueError, match="truncated"):
        decode(truncated)
    with pytest.raises(ValueError, match="not an"):
        decode(gzip.compress(b'{"format": "csv"}\n'))


async def test_local_store_puts_lists_gets_and_refuses_escaping_keys(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    await store.put("2026/11/a.jsonl.gz", b"x")
    assert await store.list("2026/") == ["2026/11/a.jsonl.gz"]
    assert await store.get("2026/11/a.jsonl.gz") == b"x"
    with pytest.raises(ValueError, match="escapes"):
        await store.get("../etc/passwd")
