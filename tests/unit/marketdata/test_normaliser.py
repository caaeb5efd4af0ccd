"""Normaliser edge cases: flags, drops with counted reasons, lateness, sequencing, fuzzing."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.marketdata.domain.instruments import instrument_map
from services.marketdata.domain.normaliser import Normaliser, NormaliserConfig
from services.marketdata.domain.tick import Quality

NOW = 1_700_000_000_000_000_000


def _quote(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "instrument": "FX.EURUSD",
        "bid": "1.08500",
        "ask": "1.08504",
        "ts": NOW,
        "source": "lp1",
    }
    base.update(overrides)
    return base


def _norm(**cfg: int) -> Normaliser:
    return Normaliser(instrument_map(), NormaliserConfig(**cfg))


def test_clean_quote_becomes_canonical_tick_with_mid_and_sequence() -> None:
    tick = _norm().normalise(_quote(), NOW + 5)
    assert tick is not None
    assert (tick.bid, tick.ask, tick.mid) == (
        Decimal("1.08500"),
        Decimal("1.08504"),
        Decimal("1.08502"),
    )
    assert (tick.source_ts_ns, tick.receive_ts_ns, tick.source) == (NOW, NOW + 5, "lp1")
    assert tick.quality == Quality.NONE
    assert tick.sequence == 1


def test_sequence_counts_per_instrument() -> None:
    norm = _norm()
    seqs = [
        norm.normalise(_quote(instrument=i, ts=NOW + n), NOW)
        for n, i in enumerate(["FX.EURUSD", "FX.EURUSD", "FX.GBPUSD", "FX.EURUSD"])
    ]
    assert [t.sequence for t in seqs if t] == [1, 2, 1, 3]


def test_crossed_unknown_and_garbage_are_dropped_and_counted() -> None:
    norm = _norm()
    inputs: list[object] = [
        _quote(bid="1.1", ask="1.0"),
        _quote(instrument="XX.NOPE"),
        _quote(bid="abc"),
        _quote(ask=None),
        _quote(bid="-1"),
        _quote(bid="NaN"),
        _quote(bid="Infinity"),
        _quote(bid=True),
        _quote(bid="1E+999999"),
        "not a dict",
        None,
    ]
    assert all(norm.normalise(x, NOW) is None for x in inputs)
    assert norm.accepted == 0
    assert norm.dropped["crossed"] == 1
    assert norm.dropped["unknown_instrument"] == 1
    assert norm.dropped["bad_price"] == 7
    assert norm.dropped["not_a_mapping"] == 2


def test_locked_off_tick_and_missing_timestamp_are_kept_but_flagged() -> None:
    norm = _norm()
    locked = norm.normalise(_quote(ask="1.08500"), NOW)
    off = norm.normalise(_quote(bid="1.085001"), NOW)
    no_ts = norm.normalise(_quote(ts="yesterday"), NOW + 9)
    assert locked is not None
    assert Quality.LOCKED in locked.quality
    assert off is not None
    assert Quality.OFF_TICK in off.quality
    assert no_ts is not None
    assert Quality.NO_SOURCE_TS in no_ts.quality
    assert no_ts.source_ts_ns == NOW + 9
    assert norm.flagged == 3


def test_numeric_prices_are_accepted_without_float_noise() -> None:
    tick = _norm().normalise(_quote(bid=1.085, ask=1.08504), NOW)
    assert tick is not None
    assert tick.bid == Decimal("1.085")
    assert tick.quality == Quality.NONE


def test_out_of_order_tick_is_kept_with_late_flag() -> None:
    norm = _norm()
    norm.normalise(_quote(ts=NOW + 1_000), NOW)
    late = norm.normalise(_quote(ts=NOW), NOW)
    assert late is not None
    assert late.late
    assert late.sequence == 2
    assert norm.late == 1
    after = norm.normalise(_quote(ts=NOW + 500), NOW)
    assert after is not None
    assert after.late, "newest seen stays the high-water mark"


def test_lateness_within_threshold_is_tolerated() -> None:
    norm = _norm(late_threshold_ns=2_000)
    norm.normalise(_quote(ts=NOW + 1_000), NOW)
    tick = norm.normalise(_quote(ts=NOW), NOW)
    assert tick is not None
    assert not tick.late


def test_source_clock_far_ahead_is_flagged() -> None:
    tick = _norm(max_future_skew_ns=10).normalise(_quote(ts=NOW + 1_000), NOW)
    assert tick is not None
    assert Quality.FUTURE_TS in tick.quality


def test_restored_sequence_continues_after_restart() -> None:
    norm = _norm()
    norm.restore_sequence("FX.EURUSD", 41)
    tick = norm.normalise(_quote(), NOW)
    assert tick is not None
    assert tick.sequence == 42


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.decimals(allow_nan=True),
    st.binary(max_size=10),
    st.sampled_from(["FX.EURUSD", "RATES.UST10Y", "1.08500", "1e400", "-0", "0"]),
)
_values = st.recursive(
    _scalars,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=8,
)
_quotes = st.fixed_dictionaries(
    {},
    optional={k: _values for k in ("instrument", "bid", "ask", "ts", "source")},
)


@settings(max_examples=400, deadline=None)
@given(
    raw=st.one_of(
        _quotes,
        _values,
        st.dictionaries(
            _values.filter(lambda v: v is None or isinstance(v, (str, int))), _values, max_size=4
        ),
    )
)
def test_random_malformed_input_never_raises_and_is_always_accounted(raw: object) -> None:
    norm = _norm()
    tick = norm.normalise(raw, NOW)
    assert norm.accepted + sum(norm.dropped.values()) == 1
    assert norm.dropped["internal_error"] == 0
    if tick is not None:
        assert tick.bid <= tick.ask
        assert tick.bid > 0
