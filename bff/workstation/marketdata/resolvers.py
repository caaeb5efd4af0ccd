"""Query/Subscription mixins for the workstation subgraph (the default Strawberry path)."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from bff.auth.policy import enforce_subscription
from bff.common.fields import field, subscription
from bff.context import Info, OrionContext
from bff.streaming import access
from bff.streaming.hub import MarketDataHub
from bff.streaming.model import SelectionKey
from bff.streaming.runtime import current_hub
from bff.streaming.selection import SelectionError, resolve_instruments, resolve_rate
from bff.workstation.marketdata.types import (
    MarketDataUpdate,
    MarketDataUpdateKind,
    MarketSnapshot,
    MarketTick,
)

NO_HUB = "market-data hub not running in this BFF process"


def _bad_input(exc: SelectionError) -> GraphQLError:
    """A bad selection is the client's mistake: a typed error, not a masked internal one."""
    return GraphQLError(str(exc), extensions={"code": "BAD_USER_INPUT"})


def _bff_context(info: Info) -> OrionContext | None:
    """The BFF's context; None in bff.streaming's default-path baseline (a plain dict)."""
    context: object = info.context
    return context if isinstance(context, OrionContext) else None


def entitled_split(info: Info, ids: list[str]) -> tuple[list[str], list[str]]:
    """(entitled, refused) for this request's principal (all of them in the baseline schema)."""
    ctx = _bff_context(info)
    return access.entitled_split(None if ctx is None else ctx.require_principal(), ids)


def _hub() -> MarketDataHub | None:
    try:
        return current_hub()
    except RuntimeError:
        return None


@strawberry.type
class MarketDataQueries:
    @field("Latest tick of each instrument (explicitly unavailable if the store is down)")
    async def market_snapshot(
        self, info: Info, instrument_ids: list[strawberry.ID]
    ) -> MarketSnapshot:
        try:
            ids, refused = entitled_split(info, resolve_instruments(instrument_ids, None))
        except SelectionError as exc:
            raise _bad_input(exc) from None
        not_entitled = [strawberry.ID(i) for i in refused]
        if (hub := _hub()) is None:
            missing = [strawberry.ID(i) for i in ids]
            return MarketSnapshot(
                available=False,
                unavailable_reason=NO_HUB,
                ticks=[],
                missing_instrument_ids=missing,
                not_entitled_instrument_ids=not_entitled,
            )
        load, ticks = await hub.snapshot(ids)
        found = {t.instrument_id for t in ticks}
        return MarketSnapshot(
            available=load.available,
            unavailable_reason=load.reason or None,
            ticks=[MarketTick.of(t, hub.stale.get(t.instrument_id, False)) for t in ticks],
            missing_instrument_ids=[strawberry.ID(i) for i in ids if i not in found],
            not_entitled_instrument_ids=not_entitled,
        )


@strawberry.type
class MarketDataSubscriptions:
    @subscription("Snapshot first, then coalesced increments (maxRateHz, default 10)")
    async def market_data(
        self,
        info: Info,
        instrument_ids: list[strawberry.ID] | None = None,
        watchlist: strawberry.ID | None = None,
        max_rate_hz: int | None = None,
    ) -> AsyncGenerator[MarketDataUpdate, None]:
        ctx = _bff_context(info)
        if ctx is not None:  # the BFF's schema, not the hub's baseline
            enforce_subscription(info)  # before any work: PolicyGuard only sees resolved events
        principal = None if ctx is None else ctx.require_principal()
        try:
            # The entitled subset is streamed; nothing entitled is an error (same rule as the hub).
            asked = resolve_instruments(instrument_ids, watchlist)
            ids = access.streamable(principal, asked, policy=False)
        except SelectionError as exc:
            raise _bad_input(exc) from None
        except access.StreamAccessError as exc:
            raise GraphQLError(str(exc), extensions={"code": exc.code}) from None
        key = SelectionKey.of(ids, rate_hz=resolve_rate(max_rate_hz))
        if (hub := _hub()) is None:  # say so once, explicitly, and end the stream
            yield MarketDataUpdate(
                kind=MarketDataUpdateKind.SNAPSHOT,
                seq=0,
                snapshot_available=False,
                unavailable_reason=NO_HUB,
                ticks=[],
            )
            return
        sub = await hub.subscribe(key)
        try:
            while (frame := await sub.outbox.get()) is not None:  # get() always awaits
                yield MarketDataUpdate.of(frame)
                hub.stats.deliveries += 1
                hub.stats.latency.observe((time.time_ns() - frame.oldest_receive_ns) / 1e6)
        finally:
            hub.unsubscribe(sub)
