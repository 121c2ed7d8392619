"""Studies layer: the research questions as ready-made studies (diagnose, strategies, social
innovation, peer review, validation, the demo), each run through the experiments layer."""
