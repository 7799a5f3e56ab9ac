"""What the stock register's tests share: a delivery received."""
from __future__ import annotations

from kaproom.domain.register import Line
from kaproom.services.stock import Person, Stock

ANA = Person("Ana")


def receive(stock: Stock, lot: str, units: str, *, expiry: str = "2026-12-31", strength: str = "100",
            by: Person = ANA) -> Line:
    """A delivery of ketamine sublingual troches from Valley Compounding, received by ``by``."""
    return stock.receive(by, product="ketamine", strength_mg=strength, form="sublingual troche", lot=lot,
                         expiry=expiry, supplier="Valley Compounding", quantity=units)
