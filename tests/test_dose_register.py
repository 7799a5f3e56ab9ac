"""The dose in the room and the stock register: one transaction for the session's dose (or waste)
and the register's lines; a refusal leaves neither."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.events import Kind
from kaproom.domain.register import Movement, MovementKind, Product, RegisterRefused, RegisterState, Rule
from kaproom.domain.session import SessionError
from kaproom.services.stock import Person, Stock, StockRefused
from kaproom.store import StoreError
from tests.test_register_arithmetic import expected_balances

ANA = Person("Ana")
LOT = "K100-01"


def _stock(workspace, lot: str = LOT, units: str = "5", expiry: str = "2026-12-31") -> Stock:
    stock = Stock.of(workspace)
    stock.receive(ANA, product="ketamine", strength_mg="100", form="sublingual troche", lot=lot, expiry=expiry,
                  supplier="Valley Compounding", quantity=units)
    return stock


def _doses(workspace, runner):
    return [e for e in workspace.store.events(runner.session_uid) if e.kind == Kind.DOSE]


def _session_lines(stock: Stock, uid: str):
    return [line for line in stock.state().lines if line.movement.session == uid]


def test_the_dose_and_its_register_lines_are_one_transaction(workspace, protocol) -> None:
    stock = _stock(workspace)
    runner = workspace.new_session(protocol, "C-1", "Dr A", prescribed_dose_mg=200.0)
    supply = stock.dose_supply(LOT, "2")
    assert (supply.units, supply.amount_mg, supply.product) == (2, 200.0, "ketamine 100 mg sublingual troche")
    runner.give_dose("sublingual", True, supply=supply, alongside=stock.room_dose(ANA, supply, runner.session_uid))
    dose = _doses(workspace, runner)[0]
    assert (dose.payload["lot"], dose.payload["lot_expiry"], dose.payload["units"]) == (LOT, "2026-12-31", 2)
    kinds = [(line.movement.kind, line.movement.quantity) for line in _session_lines(stock, runner.session_uid)]
    assert kinds == [(MovementKind.DISPENSED, 200), (MovementKind.ADMINISTERED, 200)]
    balance = stock.state().balance(LOT)
    assert (balance.stock, balance.out) == (300, 0)
    assert all(report.intact for report in stock.register.verify())


@pytest.mark.parametrize(("lot", "amount", "rule"), [
    ("OLD", "1", Rule.EXPIRED), (LOT, "6", Rule.OVER_BALANCE), ("NOPE", "1", Rule.UNKNOWN_LOT),
    (LOT, "two", Rule.BAD_AMOUNT)])
def test_a_refused_lot_or_amount_is_named_before_anything_is_written(workspace, protocol, lot, amount, rule) -> None:
    stock = _stock(workspace)
    stock.receive(ANA, product="ketamine", strength_mg="100", form="sublingual troche", lot="OLD",
                  expiry="2026-01-31", supplier="Valley Compounding", quantity="2")
    with pytest.raises(StockRefused) as caught:
        stock.dose_supply(lot, amount)
    assert caught.value.rule == rule and f"rule: {rule}" in str(caught.value)


def test_a_register_refusal_inside_the_transaction_leaves_neither_the_dose_nor_a_line(workspace, protocol) -> None:
    """The amount was checked when typed, but the register changed before Enter (another room took
    the last units): the transaction's own check refuses, and the dose is not recorded either."""
    stock = _stock(workspace, units="2")
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    supply = stock.dose_supply(LOT, "2")
    stock.dispense(Person("Ben"), LOT, "1", session="other room")
    before = stock.register.count()
    with pytest.raises(StoreError, match="amount larger than the balance"):
        runner.give_dose("sublingual", True, supply=supply,
                         alongside=stock.room_dose(ANA, supply, runner.session_uid))
    assert _doses(workspace, runner) == [] and runner.state.dose_time is None
    assert stock.register.count() == before and _session_lines(stock, runner.session_uid) == []
    assert all(report.intact for report in workspace.store.verify(runner.session_uid))
    # and the dose can be given once the amount fits
    supply = stock.dose_supply(LOT, "1")
    runner.give_dose("sublingual", True, supply=supply, alongside=stock.room_dose(ANA, supply, runner.session_uid))
    assert len(_doses(workspace, runner)) == 1 and stock.state().balance(LOT).stock == 0


def test_a_waste_after_the_dose_corrects_what_was_given_and_is_witnessed(workspace, protocol) -> None:
    stock = _stock(workspace)
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    supply = stock.dose_supply(LOT, "1")
    runner.give_dose("sublingual", True, supply=supply, alongside=stock.room_dose(ANA, supply, runner.session_uid))
    wasted, write = stock.room_waste(ANA, Person("Ben"), LOT, "0.5", runner.session_uid, "spat out")
    assert (wasted.units, wasted.amount_mg) == (0.5, 50.0)
    event = runner.record_waste("Ben", wasted.amount_mg, "spat out", product=wasted.product, lot=LOT,
                                units=wasted.units, alongside=write)
    assert event.payload["units"] == 0.5 and event.payload["witness_verified"] is False
    lines = _session_lines(stock, runner.session_uid)
    assert [(line.movement.kind, line.movement.quantity) for line in lines][-2:] == [
        (MovementKind.ADMINISTERED, -50), (MovementKind.WASTED, 50)]
    assert lines[-1].movement.witness == "Ben"
    assert stock.state().administered_to(LOT, runner.session_uid) == 50
    balance = stock.state().balance(LOT)
    assert (balance.stock, balance.out) == (400, 0)
    # more than the session was given: refused, nothing written
    count = stock.register.count()
    _wasted, write = stock.room_waste(ANA, Person("Ben"), LOT, "1", runner.session_uid, "spat out")
    with pytest.raises(StoreError, match="amount larger than the balance"):
        runner.record_waste("Ben", 100.0, "spat out", lot=LOT, alongside=write)
    assert stock.register.count() == count
    assert len([e for e in workspace.store.events(runner.session_uid) if e.kind == Kind.WASTE]) == 1


def test_a_witness_who_is_the_same_person_is_refused(workspace, protocol) -> None:
    stock = _stock(workspace)
    runner = workspace.new_session(protocol, "C-1", "Ana")
    with pytest.raises(StockRefused) as caught:
        stock.room_waste(ANA, Person(" ana "), LOT, "0.5", runner.session_uid, "spat out")
    assert caught.value.rule == Rule.SAME_WITNESS
    with pytest.raises(SessionError, match="witness"):
        runner.record_waste("ANA", 50.0, "spat out")


def test_a_failure_after_the_register_lines_rolls_them_back_with_the_dose(workspace, protocol) -> None:
    stock = _stock(workspace)
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    supply = stock.dose_supply(LOT, "1")
    write = stock.room_dose(ANA, supply, runner.session_uid)

    def then_fail(dose):
        write(dose)
        raise StoreError("the disk is full")  # after the register's lines, before the commit
    with pytest.raises(StoreError, match="disk is full"):
        runner.give_dose("sublingual", True, supply=supply, alongside=then_fail)
    assert _doses(workspace, runner) == [] and stock.register.count() == 1  # only the receipt
    assert stock.state().balance(LOT).stock == 500  # the register read again, not its cached lines
    runner.give_dose("sublingual", True, supply=supply, alongside=stock.room_dose(ANA, supply, runner.session_uid))
    assert stock.state().balance(LOT).stock == 400 and all(r.intact for r in stock.register.verify())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["dose", "waste", "return"]), st.sampled_from(["S1", "S2"]),
                          st.integers(min_value=1, max_value=250)), max_size=15))
def test_doses_and_corrected_wastes_keep_balances_the_sum_of_their_lines(steps) -> None:
    state = RegisterState()
    at = "2026-12-07T10:00:00+00:00"
    state.apply(1, state.check(Movement("received", "A", 1000, "Ana", at, product=Product("ketamine", 100, "troche"),
                                        expiry="2027-01-01")))
    for what, session, q in steps:
        if what == "dose":
            group = [Movement("dispensed", "A", q, "Ana", at, session=session),
                     Movement("administered", "A", q, "Ana", at, session=session)]
        elif what == "waste":
            group = [Movement("administered", "A", -q, "Ana", at, session=session, reason="spat out"),
                     Movement("wasted", "A", q, "Ana", at, witness="Ben", session=session, reason="spat out")]
        else:
            group = [Movement("administered", "A", -q, "Ana", at, session=session)]  # no reason: refused
        trial = RegisterState.replay((line.seq, line.movement) for line in state.lines)
        try:
            for movement in group:
                trial.apply(len(trial.lines) + 1, trial.check(movement))
        except RegisterRefused:
            continue
        state = trial
        assert all(state.administered_to("A", s) >= 0 for s in ("S1", "S2"))
    assert state.balances == expected_balances(state)
    assert all(b.stock >= 0 and b.out >= 0 for b in state.balances.values())
    assert not any(line.movement.kind == "administered" and line.movement.quantity < 0 and not line.movement.reason
                   for line in state.lines)


def test_store_atomic_holds_a_note_and_a_register_line_together(workspace, protocol) -> None:
    stock = _stock(workspace)
    runner = workspace.new_session(protocol, "C-1", "Dr A")
    count, events = stock.register.count(), len(workspace.store.events(runner.session_uid))
    with pytest.raises(StockRefused), workspace.store.atomic("record a note and a dispensing"):
        runner.note("Two lozenges taken from the safe.")
        stock.dispense(ANA, LOT, "9")  # more than the 5 in stock: refused, and the note goes with it
    assert stock.register.count() == count and len(workspace.store.events(runner.session_uid)) == events
    with workspace.store.atomic("record a note and a dispensing"):
        runner.note("Two lozenges taken from the safe.")
        stock.dispense(ANA, LOT, "2", session=runner.session_uid)
    assert stock.register.count() == count + 1 and len(workspace.store.events(runner.session_uid)) == events + 1
