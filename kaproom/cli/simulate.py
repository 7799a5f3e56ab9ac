"""``kaproom simulate``: a whole protocol run headless on a fast clock (tests, benchmarks, faults)."""
from __future__ import annotations

import argparse
import sys

from kaproom.cli.common import open_workspace
from kaproom.services.simulate import MedicationPlan, SimulationRefused, main_simulate


def cmd_simulate(args: argparse.Namespace) -> int:
    plan = MedicationPlan(booster=args.booster, waste=args.waste, medications=tuple(args.medication),
                          adverse_events=tuple(args.adverse_event))
    try:
        return main_simulate(lambda clock: open_workspace(args, clock), args.speed, args.protocol, args.notes,
                             args.vitals, args.tracks, args.seed, args.print_commits, plan)
    except SimulationRefused as exc:
        print(f"kaproom simulate: {exc}", file=sys.stderr)
        return 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("simulate", parents=[common], help="run a whole protocol headless on a fast clock")
    p.add_argument("--speed", type=float, default=60.0, help="session seconds per real second (default 60)")
    p.add_argument("--protocol", default="lozenge-3h", help="protocol id (default lozenge-3h)")
    p.add_argument("--notes", type=int, default=20, help="observation notes to write")
    p.add_argument("--vitals", type=int, default=7, help="vitals check-ins to write")
    p.add_argument("--tracks", type=int, default=12, help="music track starts to log")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--print-commits", action="store_true", help="print a line as each event is committed")
    p.add_argument("--booster", action="store_true",
                   help="give a booster as soon as the protocol allows (a protocol allowing one dose is run with "
                        "max_doses = 2, and says so)")
    p.add_argument("--waste", action="store_true",
                   help="record part of the lozenge as wasted, with a typed witness (marked unverified)")
    p.add_argument("--medication", action="append", default=[], metavar="NAME",
                   help="give a standing-order medication, e.g. ondansetron (repeatable)")
    p.add_argument("--adverse-event", action="append", default=[], metavar="KIND",
                   help="record an adverse event of this kind, e.g. hypertension (repeatable)")
    p.set_defaults(func=cmd_simulate)
