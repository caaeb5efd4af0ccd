"""In-memory, tenant-scoped store of instruments and venues, seeded for two demo tenants."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from orion.refdata.v1 import refdata_pb2 as pb
from services.marketdata.domain.instruments import SEEDED_INSTRUMENTS, AssetClass, Instrument

SEED_TENANTS = ("acme", "globex")
# Only acme has it: a cross-tenant probe, so an isolation bug shows up as a visible instrument.
ACME_ONLY = "FX.AUDUSD"

_ASSET_CLASS = {
    AssetClass.FX: pb.ASSET_CLASS_FX,
    AssetClass.RATES: pb.ASSET_CLASS_RATES,
    AssetClass.CREDIT: pb.ASSET_CLASS_CREDIT,
}
# Trading size units: FX in base-currency millions, bonds and swaps per 100k face, CDS per 1m.
_LOT_SIZE = {AssetClass.FX: "1000000", AssetClass.RATES: "100000", AssetClass.CREDIT: "1000000"}
_EUR = ("DBR", "FRTR", "EURESTR", "ITX", "VW")


def _currency(inst: Instrument) -> str:
    name = inst.instrument_id.split(".", 1)[1]
    if inst.asset_class is AssetClass.FX:
        return name[3:]
    if name.startswith("UKT"):
        return "GBP"
    return "EUR" if name.startswith(_EUR) else "USD"


def _instrument(tenant: str, inst: Instrument) -> pb.Instrument:
    name = inst.instrument_id.split(".", 1)[1]
    fx = inst.asset_class is AssetClass.FX
    tenor = re.search(r"(\d+Y)$", name)
    return pb.Instrument(
        instrument_id=inst.instrument_id,
        tenant_id=tenant,
        symbol=f"{name[:3]}/{name[3:]}" if fx else name,
        asset_class=_ASSET_CLASS[inst.asset_class],
        currency=_currency(inst),
        tenor="" if fx or tenor is None else tenor.group(1),
        tick_size=str(inst.tick_size),
        lot_size=_LOT_SIZE[inst.asset_class],
        venue_ids=["RFQ-1", "CLOB-1"] if fx else ["RFQ-1"],
        version=1,
    )


def seed_instruments() -> list[pb.Instrument]:
    """Market data's simulated universe is the reference data, so every priced instrument is
    tradable by id; the two tenants share it on purpose, so isolation bugs show up as wrong
    tenant ids."""
    return [
        _instrument(tenant, inst)
        for tenant in SEED_TENANTS
        for inst in SEEDED_INSTRUMENTS
        if tenant == "acme" or inst.instrument_id != ACME_ONLY
    ]


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
