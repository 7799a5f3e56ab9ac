"""Any sequence of movements the register accepts keeps every balance the sum of its movements and
never below zero; a refused movement changes nothing (hypothesis)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kaproom.domain.register import (
    Balance,
    Movement,
    MovementKind,
    Product,
    RegisterRefused,
    RegisterState,
)

K = MovementKind
LOTS = ("A", "B", "OLD")
PEOPLE = ("Ana", "Ben", "ana")
TROCHE = Product("ketamine", 100, "troche")
EXPIRY = {"A": "2027-01-01", "B": "2027-06-30", "OLD": "2026-01-01"}
AT = "2026-12-07T10:00:00+00:00"

movements = st.builds(
    lambda kind, lot, q, by, witness, reason, resolves, accept: Movement(
        kind, lot, q, by, AT, witness=witness, reason=reason, resolves=resolves, accept_count=accept,
        product=TROCHE if kind == K.RECEIVED else None, expiry=EXPIRY.get(lot, "2027-01-01")),
    st.sampled_from([K.RECEIVED, K.DISPENSED, K.ADMINISTERED, K.WASTED, K.RETURNED, K.DESTROYED, K.ADJUSTED,
                     K.COUNTED, K.RESOLVED, "stolen"]),
    st.sampled_from((*LOTS, "nope")),
    st.integers(min_value=-500, max_value=1500),
    st.sampled_from(PEOPLE),
    st.sampled_from(("", *PEOPLE)),
    st.sampled_from(("", "recount")),
    st.integers(min_value=0, max_value=40),
    st.booleans(),
)


def expected_balances(state: RegisterState) -> dict[str, Balance]:
    """Balances summed from the accepted lines alone, independently of RegisterState.apply."""
    sums: dict[str, list[int]] = {}
    counts: dict[int, tuple[str, int]] = {}
    for line in state.lines:
        m = line.movement
        stock_out = sums.setdefault(m.lot, [0, 0])
        q = m.quantity
        delta = {K.RECEIVED: (q, 0), K.DISPENSED: (-q, q), K.ADMINISTERED: (0, -q), K.WASTED: (0, -q),
                 K.RETURNED: (q, -q), K.DESTROYED: (-q, 0), K.ADJUSTED: (q, 0)}.get(m.kind, (0, 0))
        if m.kind == K.COUNTED:
            counts[line.seq] = (m.lot, q - m.expected)
        if m.kind == K.RESOLVED and m.accept_count:
            delta = (counts[m.resolves][1], 0)
        stock_out[0] += delta[0]
        stock_out[1] += delta[1]
    return {lot: Balance(*values) for lot, values in sums.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(movements, max_size=40))
def test_accepted_movements_keep_balances_consistent_and_never_negative(sequence: list[Movement]) -> None:
    state = RegisterState()
    for movement in sequence:
        before = (dict(state.balances), dict(state.discrepancies), len(state.lines), dict(state.lots))
        try:
            checked = state.check(movement)
        except RegisterRefused:
            assert (dict(state.balances), dict(state.discrepancies), len(state.lines), dict(state.lots)) == before
            continue
        state.apply(len(state.lines) + 1, checked)
        for balance in state.balances.values():
            assert balance.stock >= 0 and balance.out >= 0
    assert state.balances == expected_balances(state)
    # replaying the accepted lines (as the store does on every open) gives the same state
    again = RegisterState.replay((line.seq, line.movement) for line in state.lines)
    assert again.balances == state.balances and again.discrepancies == state.discrepancies
    for line in state.lines:
        if line.movement.kind in (K.DISPENSED, K.ADMINISTERED):
            assert line.movement.lot != "OLD"  # an expired lot is never given out
        if line.movement.kind in (K.WASTED, K.DESTROYED):
            assert line.movement.witness and line.movement.witness.casefold() != line.movement.by.casefold()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(movements, min_size=1, max_size=3), max_size=12))
def test_through_the_store_refused_groups_write_nothing_and_the_chain_stays_intact(groups) -> None:
    import tempfile
    from pathlib import Path

    from kaproom.store import Store
    from kaproom.store.register import StockRegister

    model = RegisterState()
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "kaproom.sqlite3") as store:
        register = StockRegister(store)
        for group in groups:
            trial = RegisterState.replay((line.seq, line.movement) for line in model.lines)
            try:
                checked = [trial.apply(len(trial.lines) + 1, trial.check(m)) for m in group]
            except RegisterRefused:
                checked = None
            count = register.count()
            try:
                register.record_all(group)
            except RegisterRefused:
                assert checked is None and register.count() == count  # all or nothing
                continue
            assert checked is not None
            model = trial
        stored = register.state()
        assert stored.balances == model.balances == expected_balances(stored)
        assert all(b.stock >= 0 and b.out >= 0 for b in stored.balances.values())
        assert all(report.intact for report in register.verify())
