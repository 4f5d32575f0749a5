"""A new user's hourly long CSV: 20 electricity meters, about 50 days each (issue 26).

The shape the issue's user brought: columns ``meter, timestamp, kwh``, one
row per meter and hour, the meters starting on different days (23,904 rows
in all), with a daily cycle, a weekly one (weekends lower), a level and a
daily amplitude of their own, and noise. Seeded: the same file every time.

    python benchmarks/meters.py /tmp/meters.csv
    sklstm forecast /tmp/meters.csv --series meter --horizon 48
"""

import argparse

import numpy as np
import pandas as pd

N_METERS = 20
HOURS = 60 * 24


def meters(seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(N_METERS):
        start = pd.Timestamp("2024-03-01") + pd.Timedelta(days=int(rng.integers(0, 12)))
        n = HOURS - int((start - pd.Timestamp("2024-03-01")).days) * 24
        times = pd.date_range(start, periods=n, freq="h")
        hour, weekday = times.hour.to_numpy(), times.day_of_week.to_numpy()
        level = rng.uniform(0.5, 3.0)
        daily = np.clip(np.sin(2 * np.pi * (hour - 7) / 24), -0.3, 1.0) * rng.uniform(0.3, 1.0)
        weekly = np.where(weekday >= 5, rng.uniform(0.6, 0.9), 1.0)
        noise = np.exp(rng.normal(0, 0.15, n))
        kwh = level * weekly * (1 + daily) * noise
        frames.append(pd.DataFrame({"meter": f"M{i:02d}", "timestamp": times,
                                    "kwh": np.round(kwh, 3)}))
    return pd.concat(frames, ignore_index=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the CSV file to write")
    args = parser.parse_args()
    data = meters()
    data.to_csv(args.out, index=False)
    print(f"wrote {args.out}: {len(data)} rows, {data['meter'].nunique()} meters")


if __name__ == "__main__":
    main()
