from importlib.resources import files

import pandas as pd


UNITS = {"precipitation": "mm", "temp_max": "°C", "temp_min": "°C", "wind": "m/s"}


def load_seattle_weather():
    """Load daily Seattle weather, 2012-01-01 to 2015-12-31.

    NOAA observations as shipped by the vega-datasets package (BSD-3-Clause),
    embedded in sklstm so no network is needed.

    Returns
    -------
    frame : pandas.DataFrame of shape (1461, 5)
        Indexed by a daily ``DatetimeIndex`` named ``date``, with columns
        ``precipitation`` (mm), ``temp_max`` and ``temp_min`` (degrees C),
        ``wind`` (m/s) and ``weather`` (a text label). ``frame.attrs["units"]``
        maps each numeric column to its unit; pandas carries it to the
        columns, where :func:`sklstm.plotting.plot_forecast` reads it.

    Examples
    --------
    >>> from sklstm.datasets import load_seattle_weather
    >>> weather = load_seattle_weather()
    >>> weather.shape
    (1461, 5)
    >>> weather.index.freqstr
    'D'
    """
    path = files("sklstm.datasets").joinpath("data", "seattle-weather.csv")
    with path.open() as f:
        frame = pd.read_csv(f, parse_dates=["date"], date_format="%Y/%m/%d")
    frame = frame.set_index("date").asfreq("D")
    frame.attrs["units"] = dict(UNITS)
    return frame


def load_temperatures():
    """Load the 20 daily temperatures of the tutorial example.

    The first 20 daily maximum temperatures (degrees C) of
    :func:`load_seattle_weather`, January 2012: a short real series in the
    spirit of the tutorial's hand-typed 20 days.

    Returns
    -------
    temperature : pandas.Series of length 20
        Indexed by a daily ``DatetimeIndex``, named ``temperature``.

    Examples
    --------
    >>> from sklstm.datasets import load_temperatures
    >>> load_temperatures().head(3).tolist()
    [12.8, 10.6, 11.7]
    """
    return load_seattle_weather()["temp_max"].iloc[:20].rename("temperature")


US_EMPLOYMENT_INDUSTRIES = (
    "mining_and_logging", "construction", "durable_goods", "nondurable_goods",
    "wholesale_trade", "retail_trade", "transportation_and_warehousing",
    "utilities", "information", "financial_activities",
    "professional_and_business_services", "education_and_health_services",
    "leisure_and_hospitality", "other_services", "government",
)
"""The 15 industries of :func:`load_us_employment` that add up to ``nonfarm``.

The other 7 of its 22 series are sums of these.
"""


def load_us_employment(*, include_change=False):
    """Load monthly U.S. employment by industry, January 2006 to December 2015.

    A real panel: 22 related series of very different scales (from about 550
    to 143,000 thousand jobs) on one time axis of 120 months, in the wide layout
    of :func:`sklstm.make_supervised` (one row per month, one column per
    series). U.S. Bureau of Labor Statistics figures as shipped by the
    vega-datasets package (BSD-3-Clause), embedded in sklstm so no network
    is needed.

    Parameters
    ----------
    include_change : bool, default=False
        Also return the source's ``nonfarm_change`` column, the
        month-over-month change of ``nonfarm`` (it equals
        ``nonfarm.diff()`` in every month but the first, whose December 2005
        base is not in the data). Left out by default: it is derived, not a
        series of its own.

    Returns
    -------
    frame : pandas.DataFrame of shape (120, 22), or (120, 23) with ``include_change``
        Indexed by a monthly ``DatetimeIndex`` named ``month`` (``freq="MS"``),
        one float column per series, in thousands of jobs.

    Notes
    -----
    The 22 series are every employment column of the source, a hierarchy:
    the 15 industries of ``US_EMPLOYMENT_INDUSTRIES`` (``mining_and_logging``,
    ``construction``, ``durable_goods``, ``nondurable_goods``,
    ``wholesale_trade``, ``retail_trade``, ``transportation_and_warehousing``,
    ``utilities``, ``information``, ``financial_activities``,
    ``professional_and_business_services``, ``education_and_health_services``,
    ``leisure_and_hospitality``, ``other_services``, ``government``) add up to
    ``nonfarm`` (to within rounding), and 7 aggregates are sums of them:
    ``nonfarm``, ``private`` (nonfarm minus government), ``goods_producing``,
    ``service_providing``, ``private_service_providing``, ``manufacturing``
    (durable plus nondurable goods) and ``trade_transportation_utilities``
    (wholesale, retail, transportation and utilities; spelled
    ``trade_transportation_utilties`` in the source). Select
    ``frame[list(US_EMPLOYMENT_INDUSTRIES)]`` for a panel without overlap.

    Examples
    --------
    >>> from sklstm.datasets import US_EMPLOYMENT_INDUSTRIES, load_us_employment
    >>> jobs = load_us_employment()
    >>> jobs.shape, jobs.index.freqstr
    ((120, 22), 'MS')
    >>> float(jobs.loc["2006-01-01", "construction"])
    7601.0
    >>> total = jobs[list(US_EMPLOYMENT_INDUSTRIES)].sum(axis=1)
    >>> bool((total - jobs["nonfarm"]).abs().max() <= 0.5)
    True
    """
    path = files("sklstm.datasets").joinpath("data", "us-employment.csv")
    with path.open() as f:
        frame = pd.read_csv(f, parse_dates=["month"], date_format="%Y-%m-%d")
    frame = frame.set_index("month").asfreq("MS").astype("float64")
    frame = frame.rename(columns={"trade_transportation_utilties": "trade_transportation_utilities"})
    return frame if include_change else frame.drop(columns="nonfarm_change")
