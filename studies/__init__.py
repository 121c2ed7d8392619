"""Studies layer: the research questions as ready-made studies, each run through the
experiments layer (seeds, executors, resumable results folders).

One module per study, each with ``run_...``, ``summarise_...`` and ``write_...`` functions:
:mod:`.compare`, :mod:`.diagnose`, :mod:`.strategies`, :mod:`.social`, :mod:`.peer_review`,
:mod:`.validate` and :mod:`.demo`; :mod:`.common` holds what they share and :mod:`.defaults`
their default seeds, replications, outcome sets and output folders. See docs/studies.md.
"""
