import sys, os, multiprocessing
sys.path.insert(0, "tests")
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import test_parameters as T
PATHS = ["instruments.startup_support.effect", "firm.capital_min", "firm.uniform_candidate_share", "firm.max_partners", "firm.entrant_related_move", "citizens.needs_background", "government.edp_weights.quadruple_helix.government", "government.edp_relatedness_signal"]
if __name__ == "__main__":
    folder = Path("/tmp/v8m/s4"); folder.mkdir(exist_ok=True)
    csv = T._proximity_csv(folder)
    missing = [p for p in PATHS if p not in T.PRIMARY_OUTPUTS]
    print("no primary output declared:", missing, flush=True)
    paths = [p for p in PATHS if p in T.PRIMARY_OUTPUTS]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        for path, ends, v in pool.map(T._check_offline, paths, [csv] * len(paths)):
            print(path, ends, v.output, round(v.t, 2), round(v.p_value, 3), v.live, flush=True)
