"""History matching, wave by wave, into a resumable output folder (``smartspec calibrate``).

Layout of a calibration's output folder (every table is Parquet, every file is written
atomically; parameter columns are named by the parameters' names, which default to their
dotted paths, and ``summary.json`` maps names to paths)::

    calibration.toml          the calibration file as run (compared on --resume)
    provenance.json           versions, git revision, command line, seeds, start time
    state.json                {"stage": "screening" | "wave" | "final" | "finished", "wave": k}
    screening/                experiments-layer folder of the Morris runs (if screening ran)
    screening.csv             name, path, low, high, score, selected, mu_star__<target>...
    wave-01/                  experiments-layer folder of wave 1's runs (design.parquet:
                              run_id, point, replication, seed, scenario, mix, parameters)
    wave-01/points.parquet    one row per design point: point, holdout (bool), parameters,
                              and per target mean__<t>, var_mean__<t>, var_run__<t>
    wave-01/validation.parquet  held-out points: target, point, simulated, predicted,
                              predicted_sd, standardised_error
    wave-01/emulators.json    per target: usable, reason, coverage, largest |error|, model
    wave-01/nroy_sample.parquet  points of the non-implausible space after this wave:
                              parameters and cut_measure
    wave-01/summary.json      wave, points, runs, failed_runs, nroy_fraction,
                              nroy_fraction_se, shrinkage, sampler, acceptance, usable,
                              emulator_share {target: ratio}, seconds, emulator_seconds
    final/                    experiments-layer folder re-running NROY points
    nroy.parquet              one row per re-run point: point, parameters, mean__<t>,
                              sd__<t>, implausibility__<t>, max_implausibility,
                              second_implausibility, accepted (bool)
    best.toml                 dotted overrides of the accepted point with the smallest
                              maximum implausibility, with the calibration's provenance
    discrepancy.csv           factor (0.5, 1, 2), nroy_fraction, accepted
    summary.json              name, scenarios, parameters [{name, path, low, high, integer,
                              default}], screened_out [{name, path, default}], targets
                              [{name, statistic, scenario, observed, variance_observed,
                              discrepancy_variance, source}], waves [wave summaries],
                              stopped (reason), final {points, accepted}, best {point,
                              max_implausibility, values {name: value}}, weighting
"""
