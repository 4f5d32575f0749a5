"""Embedded datasets, loaded without network access.

``load_seattle_weather``: daily Seattle weather 2012-2015 (1,461 days), NOAA
observations as shipped by the vega-datasets package (BSD-3-Clause).
``load_temperatures``: the 20-day series for the tutorial example.
``load_us_employment``: U.S. employment by industry, monthly 2006-2015 (22
series, 120 months), Bureau of Labor Statistics figures as shipped by the
vega-datasets package (BSD-3-Clause); ``US_EMPLOYMENT_INDUSTRIES`` names the
15 of them that add up to total nonfarm employment.
"""

from ._loaders import (
    US_EMPLOYMENT_INDUSTRIES,
    load_seattle_weather,
    load_temperatures,
    load_us_employment,
)

__all__ = [
    "US_EMPLOYMENT_INDUSTRIES",
    "load_seattle_weather",
    "load_temperatures",
    "load_us_employment",
]
