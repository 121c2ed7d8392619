"""Limits every resumable command checks before anything runs.

One cap on the number of runs, shared by experiments and calibrations, so that a typo in a
sample size (``samples = 1e9``) is refused in one line instead of filling the disk.
"""

from __future__ import annotations

from smartspec.scenarios import SmartSpecError

__all__ = ["MAX_RUNS", "RunBudgetError", "check_run_budget"]

#: Default cap on the runs one command may plan (raised with ``--max-runs``).
MAX_RUNS = 1_000_000


class RunBudgetError(SmartSpecError):
    """A command that plans more runs than its cap allows."""


def check_run_budget(planned: int, cap: int | None, source: str, field: str) -> None:
    """Refuse ``planned`` runs above ``cap`` (default :data:`MAX_RUNS`), naming the option
    that raises it."""
    limit = MAX_RUNS if cap is None else cap
    if planned > limit:
        raise RunBudgetError(
            source,
            field,
            f"plans {planned:,} runs, above the cap of {limit:,} (raise it with --max-runs)",
        )
