"""Who may stream which prices: one rule for the hub endpoint and the GraphQL resolver."""

from __future__ import annotations

from collections.abc import Sequence

from bff.auth.errors import AuthenticationError, AuthError
from bff.auth.policy import enforce
from bff.auth.principal import Principal

NOT_ENTITLED = "NOT_ENTITLED"


class StreamAccessError(Exception):
    """A refusal with the same GraphQL error code the /graphql path gives."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def entitled_split(principal: Principal | None, ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """(entitled, refused) by asset class: market-data ids are `<ASSET CLASS>.<name>`.

    Prices are entitled per asset class (as the PRD's price view is); instrument-level
    entitlements govern trading, not viewing. `None` is the unauthenticated benchmark door.
    """
    if principal is None:
        return list(ids), []
    ents = principal.entitlements
    allowed: list[str] = []
    refused: list[str] = []
    for i in ids:
        (allowed if ents.allows_asset_class(i.split(".", 1)[0]) else refused).append(i)
    return allowed, refused


def streamable(principal: Principal | None, ids: Sequence[str], *, policy: bool) -> list[str]:
    """The instruments this caller may stream: the entitled subset, or a typed refusal when
    the role lacks the permission (`policy`) or nothing asked for is entitled."""
    if policy and principal is not None:
        try:
            enforce("workstation", "Subscription", "marketData", principal)
        except AuthError as exc:
            code = "UNAUTHENTICATED" if isinstance(exc, AuthenticationError) else "FORBIDDEN"
            raise StreamAccessError(exc.detail, code) from None
    allowed, refused = entitled_split(principal, ids)
    if not allowed:
        message = f"not entitled to the prices of {', '.join(refused[:5])}"
        raise StreamAccessError(message, NOT_ENTITLED)
    return allowed
