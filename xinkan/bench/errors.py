"""The benchmark never fails silently: a part that cannot run raises BenchUnavailable with the
reason, and the report prints that reason in place of the part's figures."""

from __future__ import annotations


class BenchUnavailable(Exception):
    """A part of the benchmark cannot run (a tool cannot be installed, a server does not start...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
