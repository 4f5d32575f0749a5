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
