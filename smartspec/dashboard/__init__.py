"""The interactive dashboard (``smartspec dashboard``): Mesa's SolaraViz, served offline.

The user-interface code lives in :mod:`smartspec.dashboard.app` and is imported only by the
server; :mod:`smartspec.dashboard.settings` holds the rules the controls follow and can be used
without Solara.
"""

from smartspec.dashboard.settings import DashboardModel, DashboardSettings, rebalance_shares

__all__ = ["DashboardModel", "DashboardSettings", "rebalance_shares"]
