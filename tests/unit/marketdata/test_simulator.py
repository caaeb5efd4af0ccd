"""Statistics of the quote simulator: spreads, grid, regimes, determinism, rates, bursts."""

from __future__ import annotations

from decimal import Decimal

from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, AssetClass, instrument_map
from services.marketdata.domain.regimes import Regime, RegimeModel
from services.marketdata.domain.simulator import QuoteSimulator, SimulatorConfig

NS = 1_000_000_000
INSTRUMENTS = instrument_map()


def _run(
    seconds: int, config: SimulatorConfig | None = None
) -> tuple[QuoteSimulator, list[dict[str, object]]]:
    sim = QuoteSimulator(0, config=config)
    return sim, sim.advance(seconds * NS)


def test_seeded_universe_covers_fx_rates_and_credit_on_grid() -> None:
    assert len(SEEDED_INSTRUMENTS) >= 30
    assert {i.asset_class for i in SEEDED_INSTRUMENTS} == set(AssetClass)
    assert len(INSTRUMENTS) == len(SEEDED_INSTRUMENTS)
    assert all(i.on_grid(i.level) and i.tick_size > 0 for i in SEEDED_INSTRUMENTS)


def test_spread_is_never_negative_and_prices_sit_on_tick_size() -> None:
    _, quotes = _run(300)
    assert len(quotes) > 10_000
    for q in quotes:
        inst = INSTRUMENTS[str(q["instrument"])]
        bid, ask = Decimal(str(q["bid"])), Decimal(str(q["ask"]))
        assert ask - bid >= inst.tick_size
        assert bid > 0
        assert inst.on_grid(bid)
        assert inst.on_grid(ask)


def test_quotes_come_out_in_timestamp_order() -> None:
    _, quotes = _run(120)
    stamps = [int(str(q["ts"])) for q in quotes]
    assert stamps == sorted(stamps)


def test_regimes_switch_and_visit_every_state() -> None:
    sim = QuoteSimulator(0, instruments=SEEDED_INSTRUMENTS[:1])
    sim.advance(3_600 * NS)
    visited = {regime for _, regime in sim.regime.switches}
    assert len(sim.regime.switches) >= 10
    assert visited == set(Regime)


def test_a_model_without_transitions_stays_in_its_initial_regime() -> None:
    # RunOptions(fixed_regime=True), used by the benchmark: a constant offered load.
    config = SimulatorConfig(regimes=RegimeModel(rates={}))
    sim = QuoteSimulator(0, instruments=SEEDED_INSTRUMENTS[:1], config=config)
    sim.advance(3_600 * NS)
    assert sim.regime.switches == []
    assert sim.regime.current is Regime.NORMAL


def test_stressed_regime_widens_spreads() -> None:
    def mean_spread(initial: Regime) -> Decimal:
        frozen = RegimeModel(rates={}, initial=initial)
        _, quotes = _run(300, SimulatorConfig(regimes=frozen))
        eur = [q for q in quotes if q["instrument"] == "FX.EURUSD"]
        total = sum((Decimal(str(q["ask"])) - Decimal(str(q["bid"])) for q in eur), Decimal(0))
        return total / len(eur)

    assert mean_spread(Regime.STRESSED) > 2 * mean_spread(Regime.CALM)


def test_same_seed_gives_same_stream_and_other_seed_differs() -> None:
    _, a = _run(30, SimulatorConfig(seed=11))
    _, b = _run(30, SimulatorConfig(seed=11))
    _, c = _run(30, SimulatorConfig(seed=12))
    assert a == b
    assert a != c


def test_configured_rate_is_respected_per_instrument() -> None:
    frozen = RegimeModel(rates={}, initial=Regime.NORMAL)
    config = SimulatorConfig(
        regimes=frozen, rate_overrides={"FX.EURUSD": 50.0}, burst_probability_per_s=0.0
    )
    _, quotes = _run(100, config)
    count = sum(1 for q in quotes if q["instrument"] == "FX.EURUSD")
    assert 4_500 <= count <= 5_500


def test_bursts_raise_the_quote_rate() -> None:
    frozen = RegimeModel(rates={}, initial=Regime.NORMAL)
    quiet = SimulatorConfig(regimes=frozen, burst_probability_per_s=0.0)
    bursty = SimulatorConfig(regimes=frozen, burst_probability_per_s=0.5, burst_factor=20.0)
    assert len(_run(120, bursty)[1]) > 2 * len(_run(120, quiet)[1])


def test_mean_reverting_instruments_stay_near_their_level() -> None:
    inst = INSTRUMENTS["CREDIT.CDXIG5Y"]
    quotes = QuoteSimulator(0, instruments=[inst]).advance(1_800 * NS)
    mids = [
        (Decimal(str(q["bid"])) + Decimal(str(q["ask"]))) / 2
        for q in quotes
        if q["instrument"] == inst.instrument_id
    ]
    assert all(abs(m - inst.level) < 200 * inst.tick_size for m in mids)
