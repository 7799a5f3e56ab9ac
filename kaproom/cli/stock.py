"""``kaproom stock``: the controlled-substance register without a screen.

Names are fixed (clinic scripts use them)::

    kaproom stock receive --product NAME --strength MG --form FORM --lot LOT --expiry YYYY-MM-DD
                          --supplier TEXT --quantity UNITS [--json]
    kaproom stock count LOT COUNTED [--json]
    kaproom stock adjust LOT AMOUNT --reason TEXT [--json]          (AMOUNT signed: -1 takes one away)
    kaproom stock destroy LOT AMOUNT --witness NAME [--reason TEXT] [--json]
    kaproom stock resolve COUNT_NO --reason TEXT (--accept-count | --keep-register) [--json]
    kaproom stock list [--clinic] [--json]
    kaproom stock report [--clinic] --from DATE --to DATE --format csv|pdf -o FILE [--json]

With ``--clinic`` (a computer that joined a clinic server), ``list`` and ``report`` read every
room's register as the clinic server holds it, each copy checked as it is read; a server that
cannot be reached is said in one line, exit 1, within its connect timeout.

Quantities are units (lozenges, troches; 0.5 is half of one). Where the clinic has staff
accounts, the person is the signed-in user (``$KAPROOM_USER`` and the PIN on the first line of
standard input, as every command) and a witness types their own PIN (on the next line when
piped); adjusting and resolving a discrepancy need a supervisor. Without accounts, ``--by NAME``
says who, and the register marks the typed names unverified.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from kaproom.cli.common import EXIT_OK, Prompter, open_workspace, refuse, require, shown
from kaproom.domain.people import InputRefused, Permission, User, name_key
from kaproom.domain.register import Discrepancy, Line, MovementKind, RegisterState, Rule, quantity_text
from kaproom.domain.vocabulary import UNVERIFIED, movement_word
from kaproom.export.output import destination
from kaproom.services.people import People
from kaproom.services.stock import (
    LotSummary,
    Person,
    Stock,
    StockRefused,
    identify,
    local_time,
    require_supervisor,
    typed_person,
)
from kaproom.services.workspace import Workspace

ROOT = "kaproom stock"
#: ``--clinic`` when the clinic's register cannot be had (a server down, a copy not intact), as
#: ``kaproom clinic sync`` exits when the server cannot be reached.
EXIT_NO_CLINIC = 1


def _person(args: argparse.Namespace, workspace: Workspace, permission: Permission) -> tuple[Person, User | None]:
    """Who records this: the signed-in user, or (without staff accounts) ``--by`` as typed."""
    user = require(args, workspace, permission)
    typed = (getattr(args, "by", None) or "").strip()
    if user is None:
        if not typed:
            raise StockRefused("By: say who records this with --by NAME (there are no staff accounts here, so the "
                               "name is recorded as typed and marked unverified).", Rule.NO_PERSON)
        return typed_person(typed), None
    if typed and name_key(typed) != name_key(user.name):
        raise StockRefused(f"By: you signed in as {user.name}; --by {typed} names someone else.", Rule.NO_PERSON)
    return Person.of(user), user


def _witness(args: argparse.Namespace, workspace: Workspace, prompter: Prompter) -> Person:
    people = People.of(workspace)
    secret = None
    name = (args.witness or "").strip()
    if people.has_users() and name:
        try:
            secret, _ = prompter.secret(f"{name}, your PIN or passphrase (to witness): ")
        except InputRefused as exc:
            raise StockRefused(f"Witness: {exc}", Rule.NO_WITNESS) from None
    return identify(people, name, secret)


def _line_json(line: Line) -> dict[str, Any]:
    m = line.movement
    data: dict[str, Any] = {"seq": line.seq, "time": m.at, "movement": m.kind, "lot": m.lot, "by": m.by,
                            "by_verified": m.by_verified, **m.payload(),
                            "in_stock_after": quantity_text(line.after.stock),
                            "out_after": quantity_text(line.after.out), "hash": line.hash}
    if "quantity" in data:
        data["quantity"] = quantity_text(m.quantity)
    if "expected" in data:
        data["expected"] = quantity_text(m.expected)
    return data


def _say(args: argparse.Namespace, line: Line) -> int:
    m = line.movement
    if args.json:
        print(json.dumps(_line_json(line), indent=2, ensure_ascii=False))
    else:
        who = m.by if m.by_verified else f"{m.by} ({UNVERIFIED})"
        amount = "" if m.kind == MovementKind.RESOLVED else f" {quantity_text(m.quantity)}"
        print(f"{movement_word(m.kind)}{amount} · lot {shown(m.lot)} · by {shown(who)} · line {line.seq}. "
              f"In stock now {quantity_text(line.after.stock)}, out {quantity_text(line.after.out)}.")
    if m.kind == MovementKind.COUNTED and m.quantity != m.expected:
        print(f"DISCREPANCY: counted {quantity_text(m.quantity)}, the register says {quantity_text(m.expected)}. "
              f"It stays open until a supervisor resolves it: {ROOT} resolve {line.seq} --reason TEXT "
              "--accept-count|--keep-register", file=sys.stderr)
    return EXIT_OK


def _run(action: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with open_workspace(args) as workspace:
            stock = Stock.of(workspace)
            try:
                if action in ("adjust", "resolve"):
                    person, user = _person(args, workspace, Permission.SIGN_OFF)
                    require_supervisor(user)
                else:
                    person, _ = _person(args, workspace, Permission.RUN_SESSION)
                if action == "receive":
                    line = stock.receive(person, product=args.product, strength_mg=args.strength, form=args.form,
                                         lot=args.lot, expiry=args.expiry, supplier=args.supplier,
                                         quantity=args.quantity)
                elif action == "count":
                    line = stock.count(person, args.lot, args.counted)
                elif action == "adjust":
                    line = stock.adjust(person, args.lot, args.amount, args.reason)
                elif action == "destroy":
                    line = stock.destroy(person, _witness(args, workspace, Prompter()), args.lot, args.amount,
                                         args.reason or "")
                else:
                    line = stock.resolve(person, args.discrepancy, args.reason, args.accept_count)
            except InputRefused as exc:
                return refuse(exc)
            return _say(args, line)
    return run


def _lot_json(lot: LotSummary) -> dict[str, Any]:
    return {"lot": lot.lot, "product": lot.product, "strength_mg": lot.strength_mg, "expiry": lot.expiry.isoformat(),
            "supplier": lot.supplier, "received": quantity_text(lot.received), "in_stock": quantity_text(lot.stock),
            "out": quantity_text(lot.out), "expired": lot.expired, "expiring_soon": lot.expiring_soon,
            "open_discrepancies": lot.open_discrepancies}


def _discrepancy_json(d: Discrepancy) -> dict[str, Any]:
    return {"count": d.seq, "lot": d.lot, "counted": quantity_text(d.counted),
            "register_said": quantity_text(d.expected), "difference": quantity_text(d.difference), "by": d.by,
            "time": d.at}


def _clinic_rooms(workspace: Workspace) -> list[tuple[str, RegisterState, int, str]] | None:
    """Every room's register from the clinic server, checked as read: (room, state, head seq, head
    hash); None, with the reason said on standard error, when it cannot be had."""
    # psycopg and the clinic code load only with --clinic: a computer that never joined opens no socket.
    from kaproom.clinic.errors import ClinicError, ClinicUnreachable  # noqa: PLC0415
    from kaproom.services.clinic_stock import clinic_registers  # noqa: PLC0415
    try:
        rooms = clinic_registers(workspace.folder)
    except ClinicUnreachable as exc:  # its words speak of sending; here the person wanted to read
        said = str(exc).split(" Nothing is lost")[0]
        print(f"kaproom: {said} The clinic-wide register cannot be read now; this room's own is at "
              f"`{ROOT} list`.", file=sys.stderr)
        return None
    except ClinicError as exc:
        print(f"kaproom: {exc}", file=sys.stderr)
        return None
    return [(room.computer, room.state, room.head_seq, room.head_hash) for room in rooms]


def _lots_table(lots: list[LotSummary], open_ones: list[Discrepancy]) -> None:
    print(f"{'lot':<14} {'product':<34} {'expiry':<11} {'in stock':>9} {'out':>6}  state")
    for lot in lots:
        words = ["EXPIRED" if lot.expired else "expires soon" if lot.expiring_soon else ""]
        if lot.open_discrepancies:
            words.append(f"{lot.open_discrepancies} open discrepancy")
        print(f"{shown(lot.lot):<14} {shown(lot.product):<34} {lot.expiry.isoformat():<11} "
              f"{quantity_text(lot.stock):>9} {quantity_text(lot.out):>6}  {', '.join(w for w in words if w)}")
    for d in open_ones:
        print(f"Open discrepancy {d.seq}: lot {shown(d.lot)} counted {quantity_text(d.counted)}, register said "
              f"{quantity_text(d.expected)} ({quantity_text(d.difference)}), by {shown(d.by)} "
              f"{local_time(d.at)}.")


def list_clinic(args: argparse.Namespace) -> int:
    """``kaproom stock list --clinic``: every room's lots and balances, from the clinic server."""
    with open_workspace(args) as workspace:
        require(args, workspace, Permission.RUN_SESSION)
        stock = Stock.of(workspace)
        rooms = _clinic_rooms(workspace)
        if rooms is None:
            return EXIT_NO_CLINIC
        if args.json:
            print(json.dumps({"rooms": [
                {"room": room, "head_seq": seq, "head_hash": digest, "verified": True,
                 "lots": [_lot_json(lot) for lot in stock.lots(state)],
                 "open_discrepancies": [_discrepancy_json(d) for d in stock.open_discrepancies(state)]}
                for room, state, seq, digest in rooms]}, indent=2, ensure_ascii=False))
            return EXIT_OK
        if not rooms:
            print("No computer has sent a stock register to the clinic server yet.")
            return EXIT_OK
        for index, (room, state, seq, digest) in enumerate(rooms):
            if index:
                print()
            print(f"{shown(room)}: {seq} register lines on the clinic server, checked (head {digest[:12]})")
            lots = stock.lots(state)
            if lots:
                _lots_table(lots, stock.open_discrepancies(state))
            else:
                print("  no lots")
        print("\nEach room keeps its own stock: a lot's balances are that room's.")
    return EXIT_OK


def report_clinic(args: argparse.Namespace) -> int:
    """``kaproom stock report --clinic``: the clinic-wide dispensing log, from the clinic server."""
    # Here, not at the top: the report's PDF writer loads Qt (see cmd_report).
    from kaproom.export.stock_report import (  # noqa: PLC0415 - figure in cmd_report
        clinic_reports,
        csv_rows,
        record_clinic_stock_export,
        render_clinic_stock_csv,
        save_clinic_stock_report,
    )
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.EXPORT)
        stock, people = Stock.of(workspace), People.of(workspace)
        if args.output is None and args.format == "pdf":
            raise StockRefused("Give the PDF a file name with -o FILE.")
        stock.period(args.start, args.end)  # a bad period is refused before the server is asked
        rooms = _clinic_rooms(workspace)
        if rooms is None:
            return EXIT_NO_CLINIC
        reports = clinic_reports(stock, [(room, state) for room, state, _, _ in rooms], args.start, args.end)
        lines = sum(len(report.lines) for _, report in reports)
        if args.output is None:
            record_clinic_stock_export(people, user, reports, args.format, "standard output")
            if args.json:
                print(json.dumps([{"room": room, **row} for room, report in reports for row in csv_rows(report)],
                                 indent=2, ensure_ascii=False))
            else:
                sys.stdout.write(render_clinic_stock_csv(reports).decode("utf-8-sig"))
            return EXIT_OK
        path = destination(args.output, f"clinic-stock-register.{args.format}")
        save_clinic_stock_report(stock, people, user, reports, args.format, path, replace=args.force)
        if args.json:
            print(json.dumps({"file": str(path), "format": args.format, "lines": lines, "from": args.start,
                              "to": args.end, "rooms": [{"room": room, "lines": len(report.lines),
                                                         "head_seq": report.head_seq, "head_hash": report.head_hash}
                                                        for room, report in reports]}, indent=2))
        else:
            print(f"Wrote {lines} register lines of {len(reports)} rooms ({reports[0][1].period if reports else ''}) "
                  f"from the clinic server to {path}.")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    if args.clinic:
        return list_clinic(args)
    with open_workspace(args) as workspace:
        require(args, workspace, Permission.RUN_SESSION)
        stock = Stock.of(workspace)
        state = stock.state()
        lots, open_ones = stock.lots(state), stock.open_discrepancies(state)
        if args.json:
            print(json.dumps({"lots": [_lot_json(lot) for lot in lots],
                              "open_discrepancies": [_discrepancy_json(d) for d in open_ones]},
                             indent=2, ensure_ascii=False))
            return EXIT_OK
        if not lots:
            print(f"The stock register is empty. Record a delivery with `{ROOT} receive` (see -h).")
            return EXIT_OK
        _lots_table(lots, open_ones)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    if args.clinic:
        return report_clinic(args)
    # Here, not at the top: the report's PDF writer loads Qt (0.3-0.4 s on the 2-core VM), which
    # `kaproom --help` and the register's other commands need not (tests/test_cli.py).
    from kaproom.export.stock_report import (  # noqa: PLC0415 - figure above
        build_report,
        csv_rows,
        record_stock_export,
        render_stock_csv,
        save_stock_report,
    )
    with open_workspace(args) as workspace:
        user = require(args, workspace, Permission.EXPORT)
        stock, people = Stock.of(workspace), People.of(workspace)
        if args.output is None:
            if args.format == "pdf":
                raise StockRefused("Give the PDF a file name with -o FILE.")
            state = stock.state()
            first, last = stock.period(args.start, args.end)
            report = build_report(state, stock.report(first, last, state), first, last, stock.now())
            record_stock_export(people, user, report, args.format, "standard output")
            if args.json:
                print(json.dumps(csv_rows(report), indent=2, ensure_ascii=False))
            else:
                sys.stdout.write(render_stock_csv(report).decode("utf-8-sig"))
            return EXIT_OK
        path = destination(args.output, f"stock-register.{args.format}")
        report = save_stock_report(stock, people, user, args.start, args.end, args.format, path, replace=args.force)
        if args.json:
            print(json.dumps({"file": str(path), "format": args.format, "lines": len(report.lines),
                              "from": args.start, "to": args.end, "head_seq": report.head_seq,
                              "head_hash": report.head_hash}, indent=2))
        else:
            print(f"Wrote {len(report.lines)} register lines ({report.period}) to {path}.")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    stock = sub.add_parser("stock", help="the controlled-substance register: receive, count, adjust, destroy, "
                                         "resolve, list, report")
    actions = stock.add_subparsers(dest="stock_action", metavar="ACTION", required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, parents=[common], help=text)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    def by(p: argparse.ArgumentParser) -> None:
        p.add_argument("--by", metavar="NAME", help="who records it (only without staff accounts: then required, "
                                                    "and marked unverified)")

    p = action("receive", "record a delivery of a lot (quantity in units)")
    p.add_argument("--product", required=True, help="e.g. ketamine")
    p.add_argument("--strength", required=True, metavar="MG", help="mg per unit, e.g. 100")
    p.add_argument("--form", required=True, help="e.g. 'sublingual troche'")
    p.add_argument("--lot", required=True, help="the lot number on the package")
    p.add_argument("--expiry", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--supplier", required=True, help="the supplier or pharmacy")
    p.add_argument("--quantity", required=True, metavar="UNITS", help="units received, e.g. 30")
    by(p)
    p.set_defaults(func=_run("receive"))

    p = action("count", "record a physical count of a lot; a difference stays open until a supervisor resolves it")
    p.add_argument("lot")
    p.add_argument("counted", metavar="COUNTED", help="units counted (0 or more)")
    by(p)
    p.set_defaults(func=_run("count"))

    p = action("adjust", "correct a lot's stock, with a reason (supervisors)")
    p.add_argument("lot")
    p.add_argument("amount", metavar="AMOUNT", help="units, signed: 2 adds two, -1 takes one away")
    p.add_argument("--reason", required=True)
    by(p)
    p.set_defaults(func=_run("adjust"))

    p = action("destroy", "record units destroyed, with a witness")
    p.add_argument("lot")
    p.add_argument("amount", metavar="AMOUNT", help="units destroyed")
    p.add_argument("--witness", required=True, metavar="NAME",
                   help="a second person; with staff accounts they type their own PIN")
    p.add_argument("--reason", help="why (expired, broken, returned by a client)")
    by(p)
    p.set_defaults(func=_run("destroy"))

    p = action("resolve", "resolve an open count discrepancy, with a reason (supervisors)")
    p.add_argument("discrepancy", type=int, metavar="COUNT_NO", help="the count's line number (`stock list`)")
    p.add_argument("--reason", required=True)
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--accept-count", dest="accept_count", action="store_true",
                        help="the count was right: move the stock balance to it")
    choice.add_argument("--keep-register", dest="accept_count", action="store_false",
                        help="the register was right (e.g. a recount agreed)")
    by(p)
    p.set_defaults(func=_run("resolve"))

    p = action("list", "lots, their balances, expiry and open discrepancies")
    p.add_argument("--clinic", action="store_true", help="every room's register, from the clinic server")
    p.set_defaults(func=cmd_list)

    p = action("report", "the dispensing log for an inspector: one line per movement with balances")
    p.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (default: the first line)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (default: the last line)")
    p.add_argument("--format", "-f", choices=("csv", "pdf"), default="csv")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (CSV without -o: standard output)")
    p.add_argument("--force", action="store_true", help="replace the file if it exists (only a regular file)")
    p.add_argument("--clinic", action="store_true", help="every room's register, from the clinic server")
    p.set_defaults(func=cmd_report)
