"""The root of every error SmartSpec reports to its user.

Each error carries a one-line message naming where the problem is (a file, an option, a
folder), the field and the problem, so that the command line prints it without a traceback
and exits with status 2. The classes live in the lowest layer (scenarios) so that every layer
above can raise and catch them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["FieldProblem", "OptionError", "ScenarioError", "SmartSpecError", "did_you_mean"]


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for the known name closest to a mistyped ``name``, or ''."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class SmartSpecError(ValueError):
    """Base of SmartSpec's user-facing errors: ``source``, ``field`` and ``problem``, shown
    as one line ``source: field: problem``."""

    def __init__(self, source: str, field: str = "", problem: str = "") -> None:
        self.source, self.field, self.problem = source, field, problem
        parts = [part for part in (source, field, problem) if part]
        super().__init__(": ".join(parts))


class ScenarioError(SmartSpecError):
    """A scenario (or mix, or proximity CSV) that cannot be used."""


class OptionError(SmartSpecError):
    """A command-line option or API argument that cannot be used as given."""


class FieldProblem(ValueError):
    """A rule that spans several fields of a file, raised inside validation: the field to
    name and a one-line problem. Pydantic places such a rule at the top level;
    :func:`~smartspec.scenarios.loader.validation_message` reports this field instead."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem
