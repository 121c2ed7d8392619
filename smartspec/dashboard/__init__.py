"""The interactive dashboard (``smartspec dashboard``): a Solara page around the Mesa model,
served offline.

The user-interface code lives in :mod:`smartspec.dashboard.app` and is imported only by the
server; :mod:`smartspec.dashboard.settings` holds the rules the controls follow and
:mod:`smartspec.dashboard.views` what the views draw (SVG, :mod:`smartspec.dashboard.charts`),
both usable without Solara.
"""

from smartspec.dashboard.settings import DashboardModel, DashboardSettings, rebalance_shares

__all__ = ["DashboardModel", "DashboardSettings", "rebalance_shares"]
