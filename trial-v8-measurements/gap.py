import sys
sys.path.insert(0, "tests")
from concurrent.futures import ProcessPoolExecutor
import pandas as pd
import test_relatedness as T
from smartspec.experiments import replication_seeds
from smartspec.scenarios import ARCHETYPES
if __name__ == "__main__":
    seeds = replication_seeds(T.MASTER_SEED, T.SEEDS)
    tasks = [(a, s, dict(T.UNRELATED_START)) for a in ARCHETYPES for s in seeds]
    with ProcessPoolExecutor(2) as pool:
        domains = pd.concat(pool.map(T._run, tasks), ignore_index=True)
    gap = T._density_gap(domains)
    print("gap q0 %.4f q56 %.4f growth %.4f" % (gap.iloc[0], gap.iloc[-1], gap.iloc[-1] - gap.iloc[0]))
