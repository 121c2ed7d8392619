"""The fixed reference of the composite innovation index (generated: do not edit).

Written by ``tools/index_reference.py``; the method is in its docstring and in
docs/ODD.md §7.8. Bounds: base-year range of the four archetypes widened by 3/4 of it
on each side; reference: their RIS-region-weighted mean score, which scores 100.
"""

#: Model version and seeds (1-4) the values were derived with.
DERIVED_WITH = {"model_version": 8, "seeds": 4}
#: Component -> (lower, upper) bound of its min-max normalisation (on the scale of
#: ``index_scale_value``: the square root for skewed components).
INDEX_BOUNDS: dict[str, tuple[float, float]] = {
    "rd_intensity": (0, 0.264128),
    "innovating_share": (0, 0.685541),
    "human_capital": (0, 0.758335),
    "partnership_share": (0.0501613, 0.703541),
}
#: Mean component score of the RIS-weighted archetypes in the base year (index 100).
INDEX_REFERENCE = 0.412476
