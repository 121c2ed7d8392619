"""How much memory one model needs, estimated from its scenario before anything is allocated.

The estimate is what lets a command refuse a scenario that cannot fit in the machine (say
``regions.*.firms = 5000000`` in the four-region ``europe``: 20 million firms) in one line,
instead of growing until the kernel kills it. The coefficients were measured as the
peak RSS after two steps of the ``emerging`` region with 50,000 and 200,000 firms and 30 and
120 domains, less the interpreter with its libraries: about 0.8 kB per firm plus 70 bytes per
firm and knowledge domain (the firms x domains arrays, with room for entrants).
"""

from __future__ import annotations

import os
from pathlib import Path

from smartspec.scenarios import Scenario, SmartSpecError

__all__ = [
    "MEMORY_SHARE",
    "ModelTooLargeError",
    "check_fits_in_memory",
    "estimated_bytes",
    "machine_memory",
]

#: Share of the machine's memory one model may be estimated to use.
MEMORY_SHARE = 0.75
_BASE_BYTES = 200 * 2**20  # the interpreter, NumPy, pandas and Mesa
_GIGABYTE = 2**30
_BYTES_PER_FIRM = 800
_BYTES_PER_FIRM_DOMAIN = 70


class ModelTooLargeError(SmartSpecError):
    """A scenario whose model is estimated not to fit in this machine's memory."""


def estimated_bytes(scenario: Scenario) -> int:
    """Estimated peak memory of one model of ``scenario`` (bytes)."""
    firms = sum(region.firms for region in scenario.regions)
    per_firm = _BYTES_PER_FIRM + _BYTES_PER_FIRM_DOMAIN * scenario.knowledge.domains
    return _BASE_BYTES + firms * per_firm


def machine_memory() -> int:
    """Physical memory of this machine in bytes, or the cgroup limit when it is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = Path("/sys/fs/cgroup/memory.max")
    try:
        text = limit.read_text().strip()
    except OSError:
        return total
    return min(total, int(text)) if text.isdigit() else total


def check_fits_in_memory(scenario: Scenario, source: str, memory: int | None = None) -> None:
    """Refuse a scenario whose model is estimated to need more than :data:`MEMORY_SHARE`
    of ``memory`` (default: this machine's).

    Raises
    ------
    ModelTooLargeError
        One line with the firms, domains, the estimate and the memory available.
    """
    available = machine_memory() if memory is None else memory
    needed = estimated_bytes(scenario)
    if needed <= MEMORY_SHARE * available:
        return
    firms = sum(region.firms for region in scenario.regions)
    gigabyte = _GIGABYTE
    raise ModelTooLargeError(
        source,
        "regions.firms",
        f"{firms:,} firms x {scenario.knowledge.domains} domains need about "
        f"{needed / gigabyte:.1f} GB of memory, above {MEMORY_SHARE:.0%} of this machine's "
        f"{available / gigabyte:.1f} GB: simulate fewer firms (represented_firms keeps the "
        "region's real size)",
    )
