"""v8 figures of tests/test_firm_dynamics.py runs (docs quotes)."""
import sys, json
sys.path.insert(0, "tests")
from concurrent.futures import ProcessPoolExecutor
import numpy as np
import test_firm_dynamics as T

def one(args):
    run, growth = args
    rec = T._run(*run, growth=growth)
    out = {"run": run, "growth": growth}
    for step in sorted(rec.sizes):
        a, (rl, pl), (re_, pe), dec = rec.tail(step)
        out[step] = dict(alpha=round(a, 3), R_ln=round(rl, 2), p_ln=round(pl, 3), R_exp=round(re_, 2), p_exp=round(pe, 4), decades=round(dec, 2), n=int(len(rec.sizes[step])))
    b, d, s = T._demography(rec)
    out["demography"] = (round(b, 4), round(d, 4), round(s, 4))
    out["exits"] = rec.exits
    return out, rec if run in T.ZIPF_RUNS and growth is None else None

if __name__ == "__main__":
    jobs = [(r, None) for r in T.ZIPF_RUNS] + [(r, 0.0) for r in T.ZIPF_RUNS]
    if "--wider" in sys.argv:
        jobs += [(r, None) for r in T.WIDER_ZIPF_RUNS] + [(r, 0.0) for r in T.WIDER_ZIPF_RUNS]
    recs = []
    with ProcessPoolExecutor(2) as pool:
        for out, rec in pool.map(one, jobs):
            print(json.dumps(out, default=str), flush=True)
            if rec is not None:
                recs.append(rec)
    size, growth, _ = T._growth_by_size(recs)
    away = size >= 2.0
    size, growth = size[away], growth[away]
    edges = np.quantile(size, np.linspace(0.0, 1.0, 7))
    classes = np.clip(np.searchsorted(edges, size, side="right") - 1, 0, 5)
    median = [float(np.median(size[classes == c])) for c in range(6)]
    spread = [float(growth[classes == c].std()) for c in range(6)]
    beta = -np.polyfit(np.log(median), np.log(spread), 1)[0]
    from scipy.stats import kurtosis
    fat = [float(kurtosis(growth[classes == c])) for c in range(6) if median[c] >= 5.0]
    print("beta", round(beta, 3), "median", [round(m, 1) for m in median], "spread", [round(s, 3) for s in spread], "kurtosis", [round(f, 2) for f in fat])
