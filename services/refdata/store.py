"""In-memory, tenant-scoped store of instruments and venues, seeded for two demo tenants."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from orion.refdata.v1 import refdata_pb2 as pb

SEED_TENANTS = ("acme", "globex")


def _fx(tenant: str, pair: str, venues: list[str]) -> pb.Instrument:
    return pb.Instrument(
        instrument_id=f"FX-{pair}",
        tenant_id=tenant,
        symbol=f"{pair[:3]}/{pair[3:]}",
        asset_class=pb.ASSET_CLASS_FX,
        currency=pair[3:],
        tick_size="0.00001",
        lot_size="1000000",
        venue_ids=venues,
        version=1,
    )


def _bond(tenant: str, tenor: str, venues: list[str]) -> pb.Instrument:
    return pb.Instrument(
        instrument_id=f"UST-{tenor}",
        tenant_id=tenant,
        symbol=f"UST {tenor}",
        asset_class=pb.ASSET_CLASS_RATES,
        currency="USD",
        tenor=tenor,
        tick_size="0.0078125",
        lot_size="100000",
        venue_ids=venues,
        version=1,
    )


def seed_instruments() -> list[pb.Instrument]:
    """The two tenants share symbols on purpose, so isolation bugs show up as wrong tenant ids."""
    rows: list[pb.Instrument] = []
    for tenant in SEED_TENANTS:
        rows += [_fx(tenant, p, ["RFQ-1", "CLOB-1"]) for p in ("EURUSD", "GBPUSD", "USDJPY")]
        rows += [_bond(tenant, t, ["RFQ-1"]) for t in ("2Y", "10Y")]
    rows.append(_fx("acme", "AUDUSD", ["RFQ-1"]))  # only acme has it: a cross-tenant probe
    return rows


def seed_venues(instruments: Iterable[pb.Instrument]) -> list[pb.Venue]:
    venues: dict[tuple[str, str], pb.Venue] = {}
    kinds = {"RFQ-1": pb.EXECUTION_TYPE_RFQ, "CLOB-1": pb.EXECUTION_TYPE_CLOB}
    for inst in instruments:
        for venue_id in inst.venue_ids:
            key = (inst.tenant_id, venue_id)
            if key not in venues:
                venues[key] = pb.Venue(
                    venue_id=venue_id,
                    tenant_id=inst.tenant_id,
                    name=f"Orion {venue_id}",
                    execution_type=kinds[venue_id],
                )
            venues[key].instrument_ids.append(inst.instrument_id)
    return list(venues.values())


class RefDataStore:
    """Every read and write takes the tenant: there is no way to reach across tenants."""

    def __init__(self, instruments: Iterable[pb.Instrument], venues: Iterable[pb.Venue]) -> None:
        self._instruments = {(i.tenant_id, i.instrument_id): i for i in instruments}
        self._venues = {(v.tenant_id, v.venue_id): v for v in venues}

    @classmethod
    def seeded(cls) -> RefDataStore:
        instruments = seed_instruments()
        return cls(instruments, seed_venues(instruments))

    def get(self, tenant: str, instrument_id: str) -> pb.Instrument | None:
        found = self._instruments.get((tenant, instrument_id))
        return copy.deepcopy(found) if found is not None else None

    def list_instruments(self, tenant: str, asset_class: int = 0) -> list[pb.Instrument]:
        rows = [
            i
            for (t, _), i in sorted(self._instruments.items())
            if t == tenant and asset_class in (0, i.asset_class)
        ]
        return [copy.deepcopy(i) for i in rows]

    def venues(self, tenant: str) -> list[pb.Venue]:
        return [copy.deepcopy(v) for (t, _), v in sorted(self._venues.items()) if t == tenant]

    def upsert(self, tenant: str, instrument: pb.Instrument) -> pb.Instrument:
        """Stores under the caller's tenant whatever the body says, and bumps the version."""
        previous = self._instruments.get((tenant, instrument.instrument_id))
        stored = copy.deepcopy(instrument)
        stored.tenant_id = tenant
        stored.version = (previous.version if previous is not None else 0) + 1
        self._instruments[(tenant, stored.instrument_id)] = stored
        return copy.deepcopy(stored)
