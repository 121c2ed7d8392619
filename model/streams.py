"""Named random streams: each use of randomness draws from a child of one root generator.

A paired comparison (the same seed at two parameter values: common random numbers) only
removes seed noise while both runs draw the same numbers for the same purpose. With a single
shared generator, a parameter that changes how many numbers one draw consumes (a Beta or
Dirichlet draw's rejection sampling, a count of entrants) shifts every later draw of the run.
Here every verb, every population's founding, every instrument and each input-data field has
its own stream, derived from the root by name, so such a shift stays inside the draw's own
stream (common random numbers: Law, *Simulation Modeling and Analysis*, 5th ed., 2015).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Streams", "verb"]


class Streams:
    """Child generators of one root seed, one per name, created on first use.

    The child of a name depends only on the root seed and the name, not on the order in which
    names are first asked for.
    """

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self._root = root
        self._streams: dict[str, np.random.Generator] = {}

    @classmethod
    def from_generator(cls, rng: np.random.Generator) -> Streams:
        """Streams rooted in one draw of ``rng`` (so every stream derives from it)."""
        return cls(int(rng.integers(np.iinfo(np.int64).max)))

    def __call__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            key = (*self._root.spawn_key, zlib.crc32(name.encode()))
            child = np.random.SeedSequence(self._root.entropy, spawn_key=key)
            stream = self._streams[name] = np.random.Generator(np.random.PCG64(child))
        return stream


def verb[Method: Callable[..., Any]](method: Method) -> Method:
    """Run a population's verb on its own stream: while it runs, ``self.rng`` is the stream
    named after the population's class and the verb."""
    name = method.__name__

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = self.rng
        self.rng = self.model.streams(f"{type(self).__name__}.{name}")
        try:
            return method(self, *args, **kwargs)
        finally:
            self.rng = outer

    return run  # type: ignore[return-value]
