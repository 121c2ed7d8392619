from smartspec import EcosystemModel
import numpy as np
for arch in ("emerging", "moderate", "strong", "leader"):
    for seed in (1, 2):
        m = EcosystemModel(arch, rng=seed)
        m.run_model()
        df = m.indicators()
        f = df["firms"].to_numpy(); e = df["entries"].to_numpy(); x = df["exits"].to_numpy()
        print(arch, seed, "steps", len(f), "exit/q %.3f" % np.mean(x[1:] / f[:-1]), "entry/q %.3f" % np.mean(e[1:] / f[:-1]), "growth %.1f%%" % (100 * (f[-1] / f[0] - 1)))
