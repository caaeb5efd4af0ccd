"""The RFQ transition table: every legal move is allowed, every other one is a typed error."""

from __future__ import annotations

import itertools

import pytest

from services.rfq.domain import TERMINAL_STATES, TRANSITIONS, check_transition
from services.rfq.errors import IllegalTransition
from services.rfq.events import RfqState

S = RfqState
LEGAL = [(src, dst) for src, targets in TRANSITIONS.items() for dst in sorted(targets)]
ILLEGAL = [
    (src, dst)
    for src, dst in itertools.product(list(RfqState), repeat=2)
    if dst not in TRANSITIONS[src]
]


def test_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(RfqState)


def test_table_is_the_documented_lifecycle() -> None:
    assert set(LEGAL) == {
        (S.CREATED, S.SENT), (S.CREATED, S.REJECTED), (S.CREATED, S.CANCELLED),
        (S.SENT, S.QUOTING), (S.SENT, S.EXPIRED), (S.SENT, S.CANCELLED),
        (S.QUOTING, S.ACCEPTED), (S.QUOTING, S.EXPIRED), (S.QUOTING, S.CANCELLED),
        (S.ACCEPTED, S.TRADED), (S.ACCEPTED, S.QUOTING), (S.ACCEPTED, S.REJECTED),
    }  # fmt: skip


def test_terminal_states_have_no_exit() -> None:
    assert {S.REJECTED, S.EXPIRED, S.CANCELLED, S.TRADED} == TERMINAL_STATES


@pytest.mark.parametrize(("source", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition_is_allowed(source: RfqState, target: RfqState) -> None:
    check_transition(source, target)


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_raises_typed_error(source: RfqState, target: RfqState) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(source, target)
    assert (caught.value.source, caught.value.target) == (source, target)


def test_legal_and_illegal_partition_all_pairs() -> None:
    assert len(LEGAL) + len(ILLEGAL) == len(RfqState) ** 2
