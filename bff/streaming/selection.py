"""Parses a `marketData` subscription document into the hub's SelectionKey (strict subset)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    value_from_ast_untyped,
)

from bff.streaming.hub import ALLOWED_RATES_HZ
from bff.streaming.model import TICK_FIELDS, UPDATE_FIELDS, SelectionKey

MAX_INSTRUMENTS = 200
ROOT_FIELD = "marketData"

# Named lists a trader can subscribe to instead of instrument ids.
WATCHLISTS: dict[str, tuple[str, ...]] = {
    "G10": (
        "FX.EURUSD",
        "FX.GBPUSD",
        "FX.USDJPY",
        "FX.AUDUSD",
        "FX.USDCAD",
        "FX.USDCHF",
        "FX.NZDUSD",
        "FX.EURGBP",
        "FX.EURJPY",
    ),
    "UST": ("RATES.UST2Y", "RATES.UST5Y", "RATES.UST10Y", "RATES.UST30Y"),
    "SWAPS": ("RATES.USDSOFR5Y", "RATES.USDSOFR10Y", "RATES.EURESTR10Y"),
    "CREDIT-INDICES": ("CREDIT.CDXIG5Y", "CREDIT.CDXHY5Y", "CREDIT.ITXMAIN5Y", "CREDIT.ITXXOVER5Y"),
}


class SelectionError(ValueError):
    """The document is not a marketData subscription this endpoint can serve."""


def selection_from(
    query: str, variables: Mapping[str, Any] | None, default_rate_hz: int = 10
) -> SelectionKey:
    """The selection of a subscribe message; thousands of sessions send the same few documents,
    so parsing is cached by document text (variables are applied per call)."""
    document = _parsed(query)
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(ops) != 1 or len(document.definitions) != 1:
        raise SelectionError("send exactly one subscription operation (no fragments)")
    op = ops[0]
    if op.operation is not OperationType.SUBSCRIPTION:
        raise SelectionError("only subscriptions are served on this endpoint")
    root = _only_field(op.selection_set, "the subscription")
    if root.name.value != ROOT_FIELD:
        raise SelectionError(f"only {ROOT_FIELD} is served on this endpoint")
    args = {
        a.name.value: value_from_ast_untyped(a.value, dict(variables or {}))
        for a in root.arguments or ()
    }
    update_fields, tick_fields = _fields(root)
    return SelectionKey.of(
        _instruments(args),
        update_fields,
        tick_fields,
        _rate(args, default_rate_hz),
        root.alias.value if root.alias else ROOT_FIELD,
    )


@functools.lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode:
    try:
        return parse(query, no_location=True, max_tokens=2_000)
    except GraphQLError as exc:
        raise SelectionError(exc.message) from None


def _only_field(selection_set: SelectionSetNode | None, where: str) -> FieldNode:
    fields = list(selection_set.selections) if selection_set else []
    if len(fields) != 1 or not isinstance(fields[0], FieldNode):
        raise SelectionError(f"{where} must select exactly one field")
    return fields[0]


def _plain_fields(
    selection_set: SelectionSetNode | None, allowed: tuple[str, ...], type_name: str
) -> list[FieldNode]:
    if selection_set is None:
        raise SelectionError(f"{type_name} needs a selection of fields")
    out: list[FieldNode] = []
    for node in selection_set.selections:
        if not isinstance(node, FieldNode):
            raise SelectionError("fragments are not supported on this endpoint")
        name = node.name.value
        if name not in (*allowed, "__typename"):
            raise SelectionError(f"Cannot query field '{name}' on type '{type_name}'")
        if node.alias is not None or node.arguments or node.directives:
            raise SelectionError(f"aliases, arguments and directives on {name} are not supported")
        out.append(node)
    return out


def _fields(root: FieldNode) -> tuple[list[str], list[str]]:
    update_nodes = _plain_fields(root.selection_set, UPDATE_FIELDS, "MarketDataUpdate")
    tick_fields: list[str] = []
    for node in update_nodes:
        if node.name.value == "ticks":
            sub = _plain_fields(node.selection_set, TICK_FIELDS, "MarketTick")
            tick_fields = [n.name.value for n in sub]
        elif node.selection_set is not None:
            raise SelectionError(f"{node.name.value} is a leaf field")
    return [n.name.value for n in update_nodes], tick_fields


def _instruments(args: Mapping[str, Any]) -> list[str]:
    return resolve_instruments(args.get("instrumentIds"), args.get("watchlist"))


def resolve_instruments(ids: object, watchlist: object) -> list[str]:
    """Instrument ids plus a watchlist's members; raises SelectionError when invalid."""
    chosen: list[str] = []
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            raise SelectionError("instrumentIds must be a list of non-empty strings")
        chosen.extend(ids)
    if watchlist is not None:
        if watchlist not in WATCHLISTS:
            raise SelectionError(f"unknown watchlist {watchlist!r}")
        chosen.extend(WATCHLISTS[watchlist])
    if not chosen:
        raise SelectionError("give instrumentIds or a watchlist")
    if len(set(chosen)) > MAX_INSTRUMENTS:
        raise SelectionError(f"at most {MAX_INSTRUMENTS} instruments per subscription")
    return chosen


def _rate(args: Mapping[str, Any], default: int) -> int:
    return resolve_rate(args.get("maxRateHz"), default)


def resolve_rate(rate: object, default: int = 10) -> int:
    """A requested update rate snapped down to an allowed one."""
    if rate is None:
        return default
    if not isinstance(rate, int) or isinstance(rate, bool) or rate < 1:
        raise SelectionError("maxRateHz must be a positive integer")
    # Snap down to an allowed rate so groups stay few (one timer per rate).
    return max([r for r in ALLOWED_RATES_HZ if r <= rate], default=ALLOWED_RATES_HZ[0])
