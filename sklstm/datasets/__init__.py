"""Embedded datasets, loaded without network access.

``load_seattle_weather``: daily Seattle weather 2012-2015 (1,461 days), NOAA
observations as shipped by the vega-datasets package (BSD-3-Clause).
``load_temperatures``: the 20-day series for the tutorial example.
"""

from ._loaders import load_seattle_weather, load_temperatures

__all__ = ["load_seattle_weather", "load_temperatures"]
