/** Dev-only simulated instruments and ticks (loaded only with `--mode demo`). */
import type { Instrument } from '../api/operations';
import type { AssetClass } from '../api/generated';
import type { Tick } from '../marketdata/types';

interface Spec { symbol: string; assetClass: string; price: number; tick: string; currency: string; spreadTicks: number }

const SPECS: Spec[] = [
  ...[['EURUSD', 1.0834], ['GBPUSD', 1.2712], ['USDJPY', 151.42], ['USDCHF', 0.8811], ['AUDUSD', 0.6623], ['USDCAD', 1.3645],
    ['NZDUSD', 0.6087], ['EURGBP', 0.8523], ['EURJPY', 164.05], ['GBPJPY', 192.48], ['EURCHF', 0.9546], ['USDSEK', 10.482],
    ['USDNOK', 10.733], ['USDMXN', 17.084], ['USDZAR', 18.291], ['USDSGD', 1.3412], ['USDCNH', 7.2215], ['USDHKD', 7.8123],
    ['EURAUD', 1.6358], ['AUDJPY', 100.28]].map(([s, p]) => ({
    symbol: String(s), assetClass: 'FX', price: Number(p), tick: String(s).includes('JPY') ? '0.001' : '0.00001', currency: String(s).slice(3), spreadTicks: 8,
  })),
  ...['UST2Y', 'UST5Y', 'UST10Y', 'UST30Y', 'BUND10Y', 'GILT10Y', 'OAT10Y', 'BTP10Y', 'JGB10Y', 'UST7Y'].map((s, i) => ({
    symbol: s, assetClass: 'Rates', price: 96 + i * 0.73, tick: '0.0078125', currency: s.startsWith('UST') ? 'USD' : 'EUR', spreadTicks: 2,
  })),
  ...['ES', 'NQ', 'YM', 'RTY', 'FESX', 'FDAX', 'Z', 'NKD', 'HSI', 'SPI'].map((s, i) => ({
    symbol: `${s}Z6`, assetClass: 'Index', price: 4_000 + i * 1_311, tick: '0.25', currency: 'USD', spreadTicks: 1,
  })),
  ...[['XAUUSD', 2_345.6, '0.01'], ['XAGUSD', 28.41, '0.001'], ['BRENT', 82.3, '0.01'], ['WTI', 78.9, '0.01'], ['NATGAS', 2.84, '0.001'],
    ['COPPER', 4.42, '0.0005'], ['BTCUSD', 68_420, '0.5'], ['ETHUSD', 3_512, '0.05'], ['SOLUSD', 171.2, '0.01'], ['IG-CDX', 52.4, '0.01']].map(([s, p, t]) => ({
    symbol: String(s), assetClass: String(s).endsWith('USD') && String(s).length === 6 && !String(s).startsWith('X') ? 'Crypto' : 'Commodity',
    price: Number(p), tick: String(t), currency: 'USD', spreadTicks: 3,
  })),
];

const ASSET_CLASSES: ReadonlySet<string> = new Set<AssetClass>(['FX', 'RATES', 'CREDIT', 'EQUITY']);

/** The schema's asset classes only (commodities, crypto and indices have none yet: UNSPECIFIED). */
export const DEMO_INSTRUMENTS: Instrument[] = SPECS.map((s) => ({
  id: s.symbol, symbol: s.symbol, tickSize: s.tick, lotSize: '1', currency: s.currency,
  assetClass: ASSET_CLASSES.has(s.assetClass.toUpperCase()) ? (s.assetClass.toUpperCase() as AssetClass) : 'UNSPECIFIED',
}));

/** This instrument stops ticking and is flagged stale/indicative by the "server", to show the flags. */
const QUIET = 'USDZAR';

interface State { spec: Spec; mid: number; sequence: number; bid: number; ask: number; ts: number }

/** A random walk per instrument; one instrument goes quiet (stale) to show the flag. */
export class DemoMarket {
  private readonly states = new Map<string, State>();
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
    for (const spec of SPECS) {
      const state: State = { spec, mid: spec.price, sequence: 1, bid: 0, ask: 0, ts: Date.now() };
      this.quoteFrom(state);
      this.states.set(spec.symbol, state);
    }
  }

  mid(instrumentId: string): number | null {
    return this.states.get(instrumentId)?.mid ?? null;
  }

  tickSize(instrumentId: string): number {
    return Number(this.states.get(instrumentId)?.spec.tick ?? '0.01');
  }

  snapshot(ids: readonly string[]): Tick[] {
    return ids.flatMap((id) => {
      const state = this.states.get(id);
      return state ? [this.toTick(state, null)] : [];
    });
  }

  /** Advance the walk; returns increments for the given instruments. `gapFor` skips a sequence. */
  step(ids: readonly string[], gapFor: string | null): Tick[] {
    const out: Tick[] = [];
    for (const id of ids) {
      const state = this.states.get(id);
      if (!state || id === QUIET || this.random() < 0.35) continue;
      const tick = Number(state.spec.tick);
      const drift = Math.round((this.random() - 0.5) * 4) * tick;
      state.mid = Math.max(tick * 10, state.mid + drift);
      const prev = state.sequence;
      state.sequence += id === gapFor ? 2 : 1;
      this.quoteFrom(state);
      out.push(this.toTick(state, id === gapFor ? prev + 1 : prev));
    }
    return out;
  }

  private quoteFrom(state: State): void {
    const tick = Number(state.spec.tick);
    const half = (state.spec.spreadTicks / 2 + Math.floor(this.random() * 2)) * tick;
    state.bid = state.mid - half;
    state.ask = state.mid + half;
    state.ts = Date.now();
  }

  private toTick(state: State, prevSequence: number | null): Tick {
    const quiet = state.spec.symbol === QUIET;
    const size = state.spec.assetClass === 'FX' ? 1_000_000 : 100;
    return {
      instrumentId: state.spec.symbol, sequence: state.sequence, prevSequence,
      bid: state.bid, ask: state.ask, bidSize: size * (1 + Math.floor(this.random() * 5)), askSize: size * (1 + Math.floor(this.random() * 5)),
      ts: state.ts, stale: quiet, quality: quiet ? 'INDICATIVE' : 'GOOD',
    };
  }
}
