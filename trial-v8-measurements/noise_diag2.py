import sys
sys.path.insert(0, "tests")
from concurrent.futures import ProcessPoolExecutor
import test_parameters as T
from smartspec.experiments.liveness import primary_verdict, paired_outputs, paired_verdict

DEFAULT = float(sys.argv[1])
def run(args):
    seeds, overrides, steps = args
    ends = (0.0, 0.5) if DEFAULT == 0 else (DEFAULT * 0.5, DEFAULT * 1.5)
    low, high = paired_outputs("emerging", overrides, "knowledge.noise", ends, seeds, steps, True)
    out = {"family": paired_verdict(high, low)}
    for col in ("mean:density_specialisations", "mean:related_variety", "mean:entry_relatedness", "mean:unrelated_variety"):
        c = next((n for n in high.columns if n.startswith(col + ":")), col)
        v = primary_verdict(high, low, c)
        out[col] = (round(v.t, 2), round(v.p_value, 3))
    return seeds[0], out

if __name__ == "__main__":
    jobs = [(list(range(s, s + 32)), T._REGION, 24) for s in (20001, 20033)]
    with ProcessPoolExecutor(2) as pool:
        for r in pool.map(run, jobs):
            print(r, flush=True)
