"""Real hourly panels of M4 Hourly's shape, for tuning the long-panel recipe (issue 16).

We are not given M4 Hourly (the issue's acceptance data), so the recipe is
tuned and checked on real hourly data that public packages ship, cut the
way M4 Hourly is: unaligned series of 700 to 960 training hours, a 48-hour
horizon, no dates (integer times that start anywhere).

- ``flights``: hourly departures (per origin airport) and arrivals (per
  destination) of US domestic flights, January to June 2001, from the
  ``flights-3m.parquet`` of the npm package ``vega-datasets`` (3.x; US DOT
  data, BSD-3 packaging). The 100 busiest origins and destinations, two
  non-overlapping stretches of each: 400 series with daily and weekly
  seasons, holidays and storms. 10 is added to every count, since night
  hours hold zeros and sMAPE is undefined at 0/0 (M4's series are positive).
- ``weather``: hourly temperature (kelvin), dew point (kelvin), relative
  humidity, pressure and wind speed (+1 m/s) of two TMY3 stations shipped by
  pvlib (``703165TY.csv``, ``723170TYA.CSV``), and the 2010 hourly
  temperatures of Seattle and San Francisco (Fahrenheit) from the PyPI
  package ``vega_datasets``: 11 years of hours (Sand Point's pressure is
  constant, left out), eight stretches each, 88 series whose daily season
  ranges from strong to absent.

Build the files once (in any venv with pandas and pyarrow)::

    mkdir -p /tmp/hourly-src && cd /tmp/hourly-src
    npm pack vega-datasets@3 && tar xzf vega-datasets-*.tgz package/data/flights-3m.parquet
    pip download --no-deps pvlib==0.16.1 vega_datasets==0.9.0
    unzip -o pvlib-*.whl 'pvlib/data/7*' && unzip -o vega_datasets-*.whl '*temps.csv'
    python benchmarks/hourly_panels.py /tmp/hourly-src --out /tmp/hourly

which writes ``flights.csv.gz`` and ``weather.csv.gz`` (long: ``unique_id,
ds, y``, the last 48 hours of each series being its test) for
``bench_m4.py --dataset hourly-flights`` / ``hourly-weather --data /tmp/hourly``.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HORIZON = 48
TRAIN_LENGTHS = (700, 960)  # M4 Hourly's training lengths span these


def _stretches(values, n_pieces, rng):
    """``n_pieces`` non-overlapping stretches of M4 Hourly's lengths, at random starts."""
    slot = len(values) // n_pieces
    pieces = []
    for k in range(n_pieces):
        n = int(rng.integers(TRAIN_LENGTHS[0], min(TRAIN_LENGTHS[1], slot - HORIZON) + 1))
        start = k * slot + int(rng.integers(0, slot - n - HORIZON + 1))
        pieces.append(values[start:start + n + HORIZON])
    return pieces


def _long(named_pieces, rng):
    frames = []
    for uid, piece in named_pieces:
        start = int(rng.integers(0, 10_000))  # integer times that start anywhere
        frames.append(pd.DataFrame({"unique_id": uid, "ds": start + np.arange(len(piece)),
                                    "y": piece}))
    return pd.concat(frames, ignore_index=True)


def flights(source, rng):
    data = pd.read_parquet(Path(source) / "package/data/flights-3m.parquet",
                           columns=["date", "origin", "destination"])
    hours = pd.date_range("2001-01-01", "2001-06-30 23:00", freq="h")
    pieces = []
    for column, kind in (("origin", "dep"), ("destination", "arr")):
        counts = data.groupby([data[column], data["date"].dt.floor("h")]).size()
        busiest = counts.groupby(level=0).sum().nlargest(100).index
        for airport in busiest:
            series = counts.loc[airport].reindex(hours, fill_value=0).to_numpy(float) + 10
            for k, piece in enumerate(_stretches(series, 2, rng)):
                pieces.append((f"{kind}-{airport}-{k}", piece))
    return _long(pieces, rng)


def _tmy3(path):
    frame = pd.read_csv(path, skiprows=1)
    return {
        "temp": frame["Dry-bulb (C)"].to_numpy(float) + 273.15,
        "dew": frame["Dew-point (C)"].to_numpy(float) + 273.15,
        "rh": frame["RHum (%)"].to_numpy(float),
        "pres": frame["Pressure (mbar)"].to_numpy(float),
        "wind": frame["Wspd (m/s)"].to_numpy(float) + 1,
    }


def weather(source, rng):
    source = Path(source)
    series = {}
    for station in ("703165TY.csv", "723170TYA.CSV"):
        for name, values in _tmy3(source / "pvlib/data" / station).items():
            if np.ptp(values) > 0:  # Sand Point's pressure is one constant
                series[f"{station[:6]}-{name}"] = values
    for city in ("seattle", "sf"):
        frame = pd.read_csv(source / f"vega_datasets/_data/{city}-temps.csv")
        series[f"{city}-temp"] = frame["temp"].to_numpy(float)
    pieces = []
    for name, values in series.items():
        for k, piece in enumerate(_stretches(values, 8, rng)):
            pieces.append((f"{name}-{k}", piece))
    return _long(pieces, rng)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="folder holding the unpacked package files")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, build in (("flights", flights), ("weather", weather)):
        panel = build(args.source, np.random.default_rng(0))
        panel.to_csv(out / f"{name}.csv.gz", index=False)
        lengths = panel.groupby("unique_id").size() - HORIZON
        print(f"{name}: {panel['unique_id'].nunique()} series, training lengths "
              f"{lengths.min()}-{lengths.max()}")


if __name__ == "__main__":
    main()
