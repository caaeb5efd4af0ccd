"""Acceptance, last look, cancellation and expiry rules on an injected clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.rfq import events as ev
from services.rfq.domain import Rfq
from services.rfq.errors import (
    CancelAfterAccept,
    QuoteExpired,
    QuoteNotFound,
    RfqAlreadyExpired,
    RfqNotOpen,
    VersionConflict,
)
from services.rfq.events import RfqState
from tests.unit.rfq.factories import at, new_rfq, quote, quoting_rfq, sent_rfq


def test_accept_with_stale_version_is_a_version_conflict() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    stale = rfq.version
    rfq.receive_quote(quote("q2", "1.1001", lp_id="lp-b"), at(1.5))
    with pytest.raises(VersionConflict) as caught:
        rfq.accept("q1", stale, at(2))
    assert (caught.value.expected, caught.value.actual) == (stale, stale + 1)
    assert rfq.state is RfqState.QUOTING


def test_accept_at_or_after_expiry_is_refused() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002", valid_for=20))
    with pytest.raises(RfqAlreadyExpired):
        rfq.accept("q1", rfq.version, at(10))
    assert rfq.state is RfqState.QUOTING


def test_expiry_and_accept_race_has_one_outcome_whichever_runs_first() -> None:
    # Accept first, just before expiry: the expiry timer then finds nothing to expire.
    first = quoting_rfq(quote("q1", "1.1002", valid_for=20))
    first.accept("q1", first.version, at(9.999))
    assert first.expire(at(10)) is False
    assert first.state is RfqState.ACCEPTED
    # Expiry first: the accept names a version that no longer exists and the RFQ is closed.
    second = quoting_rfq(quote("q1", "1.1002", valid_for=20))
    seen = second.version
    assert second.expire(at(10)) is True
    with pytest.raises(RfqNotOpen):
        second.accept("q1", seen, at(9.999))
    assert second.state is RfqState.EXPIRED


def test_accept_unknown_or_expired_quote_is_refused() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002", valid_for=1))
    with pytest.raises(QuoteNotFound):
        rfq.accept("nope", rfq.version, at(1.5))
    with pytest.raises(QuoteExpired):
        rfq.accept("q1", rfq.version, at(2.5))


def test_second_accept_is_refused_as_not_open() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    rfq.accept("q1", rfq.version, at(2))
    with pytest.raises(RfqNotOpen):
        rfq.accept("q1", rfq.version, at(2))


def test_accept_with_last_look_waits_for_lp_confirmation() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002", last_look=True))
    rfq.accept("q1", rfq.version, at(2))
    [requested] = rfq.pull_events()
    assert isinstance(requested, ev.QuoteAcceptanceRequested)
    assert rfq.awaiting_last_look
    assert rfq.confirm_last_look("q1", at(2.1)) is True
    assert rfq.confirm_last_look("q1", at(2.2)) is False
    [accepted] = rfq.pull_events()
    assert isinstance(accepted, ev.QuoteAccepted)


def test_last_look_rejection_returns_to_quoting_while_open() -> None:
    rfq = quoting_rfq(quote("q1", "1.1001", last_look=True), quote("q2", "1.1003", lp_id="lp-b"))
    rfq.accept("q1", rfq.version, at(2))
    rfq.pull_events()
    assert rfq.reject_acceptance("q1", "price drifted", at(2.2)) is RfqState.QUOTING
    [rejected] = rfq.pull_events()
    assert isinstance(rejected, ev.QuoteAcceptanceRejected)
    assert rejected.resulting_state is RfqState.QUOTING
    assert [r.quote.quote_id for r in rfq.ranked(at(2.3))] == ["q2"]
    rfq.accept("q2", rfq.version, at(2.4))
    assert rfq.accepted_quote_id == "q2"


def test_last_look_rejection_after_expiry_rejects_the_rfq() -> None:
    rfq = quoting_rfq(quote("q1", "1.1001", last_look=True, valid_for=20))
    rfq.accept("q1", rfq.version, at(9.9))
    assert rfq.reject_acceptance("q1", "hold exceeded", at(10.1)) is RfqState.REJECTED
    assert rfq.state is RfqState.REJECTED
    assert rfq.reason == "last look: hold exceeded"


def test_last_look_decision_for_another_quote_is_refused() -> None:
    rfq = quoting_rfq(quote("q1", "1.1001", last_look=True), quote("q2", "1.1002"))
    rfq.accept("q1", rfq.version, at(2))
    with pytest.raises(RfqNotOpen):
        rfq.reject_acceptance("q2", "x", at(2.1))


@pytest.mark.parametrize("stage", ["created", "sent", "quoting"])
def test_requester_can_cancel_before_acceptance(stage: str) -> None:
    builders: dict[str, Callable[[], Rfq]] = {
        "created": new_rfq,
        "sent": sent_rfq,
        "quoting": quoting_rfq,
    }
    rfq = builders[stage]()
    rfq.pull_events()
    rfq.cancel("alice", "no longer needed", at(1))
    assert rfq.state is RfqState.CANCELLED
    [cancelled] = rfq.pull_events()
    assert isinstance(cancelled, ev.RfqCancelled)
    assert (cancelled.cancelled_by, cancelled.reason) == ("alice", "no longer needed")


def test_cancel_after_accept_is_a_clear_error() -> None:
    rfq = quoting_rfq(quote("q1", "1.1002"))
    rfq.accept("q1", rfq.version, at(2))
    with pytest.raises(CancelAfterAccept, match="accepted"):
        rfq.cancel("alice", "too late", at(3))
    rfq.mark_traded("trd", "q1", at(3))
    with pytest.raises(CancelAfterAccept):
        rfq.cancel("alice", "too late", at(4))


def test_cancel_of_expired_rfq_is_not_open() -> None:
    rfq = sent_rfq()
    rfq.expire(at(10))
    with pytest.raises(RfqNotOpen):
        rfq.cancel("alice", "x", at(11))


def test_expiry_before_due_time_changes_nothing() -> None:
    rfq = sent_rfq()
    assert rfq.expire(at(9.999)) is False
    assert rfq.state is RfqState.SENT


def test_expiry_is_idempotent_and_counts_quotes() -> None:
    rfq = quoting_rfq(quote("q1", "1.1"), quote("q2", "1.2", lp_id="lp-b"))
    assert rfq.expire(at(10)) is True
    assert rfq.expire(at(11)) is False
    [expired] = rfq.pull_events()
    assert isinstance(expired, ev.RfqExpired)
    assert expired.quote_count == 2
