import sys, os
sys.path.insert(0, "tests")
from concurrent.futures import ProcessPoolExecutor
import test_parameters as T
from smartspec.experiments.liveness import primary_verdict

def run(args):
    seeds, overrides, steps = args
    path, ends, _ = T._check("knowledge.noise", 0.05, "emerging", overrides, seeds, steps)
    from smartspec.experiments.liveness import range_ends, paired_outputs
    low, high = paired_outputs("emerging", overrides, "knowledge.noise", ends, seeds, steps, True)
    out = {}
    for col in ("mean:entry_relatedness", "mean:density_specialisations", "mean:related_variety", "mean:domain_entries", "mean:entry_complexity"):
        c = next((n for n in high.columns if n.startswith(col + ":")), col)
        v = primary_verdict(high, low, c)
        out[col] = (round(v.t, 2), round(v.p_value, 3))
    return seeds[0], out

if __name__ == "__main__":
    div = {**T._REGION, **T._DIVERSIFYING}
    jobs = [(list(range(20001, 20033)), div, 24), (list(range(20033, 20065)), div, 24)]
    with ProcessPoolExecutor(2) as pool:
        for r in pool.map(run, jobs):
            print(r, flush=True)
