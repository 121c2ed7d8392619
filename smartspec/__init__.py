"""SmartSpec: an agent-based simulator of regional innovation ecosystems for S3 policy.

Public API::

    from smartspec import EcosystemModel, load_scenario
    model = EcosystemModel(scenario=load_scenario("emerging"), rng=42)
    model.run_for(20)
    model.datacollector.get_table_dataframe("regions")
"""

from smartspec.model import EcosystemModel
from smartspec.scenarios import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = ["EcosystemModel", "Scenario", "ScenarioError", "load_scenario", "__version__"]
