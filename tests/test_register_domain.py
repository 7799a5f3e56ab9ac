"""The stock register's rules (kaproom.domain.register): each refusal names its rule."""
from __future__ import annotations

import pytest

from kaproom.domain.register import (
    Balance,
    Movement,
    MovementKind,
    Product,
    RegisterRefused,
    RegisterState,
    Rule,
    parse_quantity,
    quantity_text,
)

K = MovementKind
TROCHE = Product("ketamine", 100, "sublingual troche")
AT = "2026-12-07T12:00:00+00:00"


def accept(state: RegisterState, movement: Movement) -> Balance:
    checked = state.check(movement)
    return state.apply(len(state.lines) + 1, checked).after


def received(state: RegisterState, lot: str = "L1", units: str = "10", expiry: str = "2027-06-30") -> Balance:
    return accept(state, Movement(K.RECEIVED, lot, parse_quantity(units), "Ana", AT, product=TROCHE, expiry=expiry,
                                  supplier="Compounding Pharmacy"))


def refused(state: RegisterState, movement: Movement) -> str:
    before = (dict(state.balances), len(state.lines))
    with pytest.raises(RegisterRefused) as caught:
        state.check(movement)
    assert (dict(state.balances), len(state.lines)) == before
    assert f"(rule: {caught.value.rule})" in str(caught.value)
    return caught.value.rule


def test_quantities_are_units_with_two_decimals() -> None:
    assert parse_quantity("2") == 200 and parse_quantity("0.5") == 50 and parse_quantity("1,25") == 125
    assert quantity_text(250) == "2.5" and quantity_text(200) == "2" and quantity_text(-25) == "-0.25"
    assert parse_quantity("-1", signed=True) == -100 and parse_quantity(1.5) == 150
    for bad in ("two", "1.234", "", "1e3", "nan"):
        with pytest.raises(RegisterRefused, match="not a number of units|more than two decimals"):
            parse_quantity(bad)
    for zero in ("0", "-1"):
        with pytest.raises(RegisterRefused) as caught:
            parse_quantity(zero)
        assert caught.value.rule == Rule.NOT_POSITIVE


def test_a_lot_from_receipt_to_administration_keeps_both_balances() -> None:
    state = RegisterState()
    assert received(state) == Balance(1000, 0)
    assert accept(state, Movement(K.DISPENSED, "L1", 100, "Ana", AT, session="s1")) == Balance(900, 100)
    assert accept(state, Movement(K.ADMINISTERED, "L1", 50, "Ana", AT, session="s1")) == Balance(900, 50)
    assert accept(state, Movement(K.WASTED, "L1", 25, "Ana", AT, witness="Ben", session="s1")) == Balance(900, 25)
    assert accept(state, Movement(K.RETURNED, "L1", 25, "Ana", AT)) == Balance(925, 0)
    assert accept(state, Movement(K.DESTROYED, "L1", 25, "Ana", AT, witness="Ben")) == Balance(900, 0)
    assert accept(state, Movement(K.ADJUSTED, "L1", -100, "Ana", AT, reason="broken in the safe")) == Balance(800, 0)
    assert received(state, units="2") == Balance(1000, 0)
    assert state.lots["L1"].received == 1200 and state.lots["L1"].product.label == "ketamine 100 mg sublingual troche"


def test_each_refusal_names_its_rule_and_changes_nothing() -> None:
    state = RegisterState()
    received(state, units="2")
    received(state, lot="OLD", units="1", expiry="2026-01-31")
    assert refused(state, Movement(K.DISPENSED, "NOPE", 100, "Ana", AT)) == Rule.UNKNOWN_LOT
    assert refused(state, Movement(K.DISPENSED, "OLD", 100, "Ana", AT)) == Rule.EXPIRED
    assert refused(state, Movement(K.ADMINISTERED, "OLD", 100, "Ana", AT)) == Rule.EXPIRED
    assert refused(state, Movement(K.DISPENSED, "L1", 300, "Ana", AT)) == Rule.OVER_BALANCE
    assert refused(state, Movement(K.ADMINISTERED, "L1", 100, "Ana", AT)) == Rule.OVER_BALANCE  # nothing dispensed
    accept(state, Movement(K.DISPENSED, "L1", 100, "Ana", AT))
    assert refused(state, Movement(K.WASTED, "L1", 50, "Ana", AT)) == Rule.NO_WITNESS
    assert refused(state, Movement(K.WASTED, "L1", 50, "Ana", AT, witness=" ana ")) == Rule.SAME_WITNESS
    assert refused(state, Movement(K.DESTROYED, "L1", 50, "Ana", AT)) == Rule.NO_WITNESS
    assert refused(state, Movement(K.DISPENSED, "L1", 0, "Ana", AT)) == Rule.NOT_POSITIVE
    assert refused(state, Movement(K.DISPENSED, "L1", -100, "Ana", AT)) == Rule.NOT_POSITIVE
    assert refused(state, Movement(K.ADJUSTED, "L1", 100, "Ana", AT)) == Rule.NO_REASON
    assert refused(state, Movement(K.ADJUSTED, "L1", -500, "Ana", AT, reason="x")) == Rule.OVER_BALANCE
    assert refused(state, Movement(K.DISPENSED, "L1", 100, " ", AT)) == Rule.NO_PERSON
    assert refused(state, Movement(K.RECEIVED, "L1", 100, "Ana", AT, product=Product("ketamine", 50, "troche"),
                                   expiry="2027-06-30")) == Rule.LOT_MISMATCH
    assert refused(state, Movement(K.RECEIVED, "L2", 100, "Ana", AT, product=TROCHE, expiry="June")) == Rule.BAD_DATE
    assert refused(state, Movement(K.RECEIVED, "L2", 100, "Ana", AT, product=Product("", 100, "troche"),
                                   expiry="2027-06-30")) == Rule.BAD_PRODUCT
    assert refused(state, Movement(K.RESOLVED, "L1", 0, "Sue", AT, resolves=99, reason="x")) == Rule.NO_DISCREPANCY


def test_an_expired_lot_may_still_be_returned_destroyed_and_counted() -> None:
    state = RegisterState()
    received(state, lot="OLD", units="3", expiry="2026-12-06")
    assert accept(state, Movement(K.DESTROYED, "OLD", 100, "Ana", AT, witness="Ben")) == Balance(200, 0)
    accept(state, Movement(K.COUNTED, "OLD", 200, "Ana", AT))
    assert state.open_discrepancies() == []
    # the expiry day itself is still usable
    received(state, lot="TODAY", units="1", expiry="2026-12-07")
    assert accept(state, Movement(K.DISPENSED, "TODAY", 100, "Ana", AT)) == Balance(0, 100)


def test_a_count_that_differs_opens_a_discrepancy_until_a_supervisor_resolves_it() -> None:
    state = RegisterState()
    received(state, units="10")
    accept(state, Movement(K.COUNTED, "L1", 900, "Ana", AT))
    (open_one,) = state.open_discrepancies()
    assert (open_one.counted, open_one.expected, open_one.difference) == (900, 1000, -100)
    assert state.balance("L1") == Balance(1000, 0)  # the book stays until resolved
    assert refused(state, Movement(K.RESOLVED, "L1", 0, "Sue", AT, resolves=open_one.seq)) == Rule.NO_REASON
    accept(state, Movement(K.RESOLVED, "L1", 0, "Sue", AT, resolves=open_one.seq, reason="one found broken, "
                           "destroyed unrecorded", accept_count=True))
    assert state.open_discrepancies() == [] and state.balance("L1") == Balance(900, 0)
    assert state.discrepancies[open_one.seq].resolved_by == "Sue"
    assert refused(state, Movement(K.RESOLVED, "L1", 0, "Sue", AT, resolves=open_one.seq,
                                   reason="again")) == Rule.NO_DISCREPANCY


def test_a_movement_reads_back_from_its_payload() -> None:
    movement = Movement(K.WASTED, "L1", 50, "Ana", AT, witness="Ben", witness_verified=True, session="s1",
                        by_verified=True)
    assert Movement.from_payload(K.WASTED, movement.payload(), "Ana", AT) == movement
    receipt = Movement(K.RECEIVED, "L1", 1000, "Ana", AT, product=TROCHE, expiry="2027-06-30", supplier="P")
    assert Movement.from_payload(K.RECEIVED, receipt.payload(), "Ana", AT) == receipt


def test_a_movement_read_back_fills_every_field() -> None:
    """from_payload fills the fields directly (for speed): a field added to Movement must be read too."""
    from dataclasses import fields
    movement = Movement.from_payload(K.COUNTED, {"lot": "L1", "quantity": 3, "expected": 4}, "Ana", AT)
    assert set(vars(movement)) == {f.name for f in fields(Movement)}
    assert movement == Movement(K.COUNTED, "L1", 300, "Ana", AT, expected=400)
