"""The protocol's error on its own page: the app catches it at start-up without loading the
protocol parser (and tomllib) before the first window shows."""
from __future__ import annotations


class ProtocolError(ValueError):
    """A protocol file that cannot be used, with where and how to fix it."""

    def __init__(self, source: str, where: str, problem: str, fix: str) -> None:
        self.source, self.where, self.problem, self.fix = source, where, problem, fix
        super().__init__(f"{source}: {where}: {problem}. Fix: {fix}")
