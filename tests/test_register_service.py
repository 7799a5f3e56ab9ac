"""kaproom.services.stock: what the command line and the register window do alike."""
from __future__ import annotations

import pytest
from _people_helpers import SUPERVISOR_SECRET, THERAPIST_PIN, add_staff, fast_people
from _register_helpers import receive

from kaproom.domain.register import Rule
from kaproom.services.people import AccessRefused
from kaproom.services.stock import Person, Stock, StockRefused, identify, require_supervisor, typed_person
from kaproom.services.workspace import Workspace

ANA = Person("Ana")


pytestmark = pytest.mark.usefixtures("days_in_utc")  # report days are local dates: UTC's here


def _receive(stock: Stock, lot: str = "K100-01", units: str = "20", expiry: str = "2026-12-31"):
    return receive(stock, lot, units, expiry=expiry)


def test_receive_dispense_waste_and_the_lot_list(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        stock = Stock.of(workspace)
        _receive(stock)
        _receive(stock, lot="K100-00", units="3", expiry="2026-03-20")
        _receive(stock, lot="K100-OLD", units="1", expiry="2026-02-01")
        stock.dispense(ANA, "K100-01", "2", session="abc")
        stock.administer(ANA, "K100-01", "1.5", session="abc")
        line = stock.waste(ANA, Person("Ben"), "K100-01", "0.5", session="abc", reason="spat out")
        assert (line.after.stock, line.after.out) == (1800, 0)
        assert line.movement.witness == "Ben" and not line.movement.witness_verified
        lots = {summary.lot: summary for summary in stock.lots()}
        assert lots["K100-01"].stock == 1800 and lots["K100-01"].product == "ketamine 100 mg sublingual troche"
        assert lots["K100-00"].expiring_soon and not lots["K100-00"].expired
        assert lots["K100-OLD"].expired and not lots["K100-OLD"].expiring_soon
        assert [lot.lot for lot in stock.usable_lots()] == ["K100-00", "K100-01"]  # the first to expire first
        with pytest.raises(StockRefused, match="expired") as caught:
            stock.dispense(ANA, "K100-OLD", "1")
        assert caught.value.rule == Rule.EXPIRED
        assert len(stock.report("2026-03-02", "2026-03-02")) == 6
        assert stock.report("2026-03-03", None) == []


@pytest.mark.parametrize(("call", "rule"), [
    (lambda s: s.dispense(ANA, "NOPE", "1"), Rule.UNKNOWN_LOT),
    (lambda s: s.dispense(ANA, "K100-01", "21"), Rule.OVER_BALANCE),
    (lambda s: s.dispense(ANA, "K100-01", "two"), Rule.BAD_AMOUNT),
    (lambda s: s.dispense(ANA, "K100-01", "-1"), Rule.NOT_POSITIVE),
    (lambda s: s.destroy(ANA, Person("ana"), "K100-01", "1"), Rule.SAME_WITNESS),
    (lambda s: s.destroy(ANA, Person(""), "K100-01", "1"), Rule.NO_WITNESS),
    (lambda s: s.adjust(ANA, "K100-01", "-1", " "), Rule.NO_REASON),
    (lambda s: s.count(ANA, "K100-01", "-2"), Rule.NOT_POSITIVE),
    (lambda s: s.resolve(ANA, 77, "x", True), Rule.NO_DISCREPANCY),
    (lambda s: _receive(s, lot="K2", expiry="31/12/2026"), Rule.BAD_DATE),
    (lambda s: s.report("2026-03-05", "2026-03-01"), Rule.BAD_DATE),
])
def test_bad_input_is_refused_by_rule_and_nothing_is_recorded(data_dir, clock, call, rule) -> None:
    with Workspace(data_dir, clock) as workspace:
        stock = Stock.of(workspace)
        _receive(stock)
        with pytest.raises(StockRefused) as caught:
            call(stock)
        assert caught.value.rule == rule and f"(rule: {rule})" in str(caught.value)
        assert stock.register.count() == 1


def test_a_count_discrepancy_stays_open_until_resolved(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        stock = Stock.of(workspace)
        _receive(stock)
        counted = stock.count(ANA, "K100-01", "19")
        (open_one,) = stock.open_discrepancies()
        assert open_one.seq == counted.seq and open_one.difference == -100
        assert stock.lots()[0].open_discrepancies == 1
        stock.resolve(Person("Sam", True), open_one.seq, "recount: one in the other drawer", accept_count=False)
        assert stock.open_discrepancies() == [] and stock.lots()[0].stock == 2000
        assert stock.count(ANA, "K100-01", "0").movement.expected == 2000  # zero may be counted


def test_with_staff_accounts_a_witness_signs_with_their_own_pin(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        staff = add_staff(people)
        assert identify(people, "Sam", SUPERVISOR_SECRET) == Person("Sam", True)
        with pytest.raises(AccessRefused, match="do not match"):
            identify(people, "Sam", "wrong wrong wrong")
        with pytest.raises(StockRefused, match="must type their own PIN"):
            identify(people, "Sam", "")
        teo = Person.of(people.sign_in("Teo", THERAPIST_PIN))
        stock = Stock.of(workspace)
        _receive(stock)
        line = stock.destroy(teo, identify(people, "Sam", SUPERVISOR_SECRET), "K100-01", "1", reason="crumbled")
        assert line.movement.by_verified and line.movement.witness_verified
        require_supervisor(staff["supervisor"])
        with pytest.raises(AccessRefused, match="needs a supervisor"):
            require_supervisor(staff["therapist"])


def test_without_staff_accounts_names_are_typed_and_unverified(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        people = fast_people(workspace)
        assert identify(people, " Ben ", None) == Person("Ben", False)
        assert typed_person("Ana") == Person("Ana", False)
        with pytest.raises(StockRefused, match="By \\(your name\\): please type a name"):
            typed_person("")


def test_a_dose_is_one_transaction_all_or_nothing(data_dir, clock) -> None:
    with Workspace(data_dir, clock) as workspace:
        stock = Stock.of(workspace)
        _receive(stock)
        lines = stock.give_dose(ANA, "K100-01", dispensed="1", administered="0.75", wasted="0.25",
                                witness=Person("Ben"), session="abc", reason="spat out")
        assert [line.movement.kind for line in lines] == ["dispensed", "administered", "wasted"]
        assert (lines[-1].after.stock, lines[-1].after.out) == (1900, 0)
        assert lines[-1].movement.witness == "Ben" and lines[0].movement.witness == ""
        # the waste has no witness: nothing of the dose is recorded, not even the dispensing
        with pytest.raises(StockRefused) as caught:
            stock.give_dose(ANA, "K100-01", dispensed="1", administered="0.5", wasted="0.5", session="abc")
        assert caught.value.rule == Rule.NO_WITNESS and stock.register.count() == 4
        with pytest.raises(StockRefused) as caught:
            stock.give_dose(ANA, "K100-01", dispensed="1", administered="1.5")
        assert caught.value.rule == Rule.OVER_BALANCE and stock.register.count() == 4
        # dispensed earlier, given now
        stock.dispense(ANA, "K100-01", "1", session="def")
        given = stock.give_dose(ANA, "K100-01", dispensed=None, administered="1", session="def")
        assert len(given) == 1 and (given[0].after.stock, given[0].after.out) == (1800, 0)
        assert stock.register.verify()[0].intact
