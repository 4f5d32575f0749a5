"""Peer benchmark: neuralforecast's LSTM and NHITS on M4-style panels (issue 16).

neuralforecast is **never** a dependency of sklstm: this script runs in a
throw-away virtual environment of its own, made like this (torch first, from
the CPU build on disk, so that neuralforecast does not pull another one)::

    python3 -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install torch==2.13.0
    /tmp/peer-venv/bin/pip install neuralforecast
    /tmp/peer-venv/bin/python benchmarks/peer_neuralforecast_m4.py [DATA_DIR] \
        [--dataset weekly|hourly-flights|hourly-weather] [--runs a,b,...]

It reads the data and scores it with ``bench_m4.py``'s own loaders and
scorers (numpy and pandas only; sklstm is not imported): ``DATA_DIR`` is
M4 Weekly's folder (default ``../shared/data/m4-weekly``) or the folder
``hourly_panels.py`` wrote. Integer ``ds`` per series (``freq=1``); each run
fits ``NeuralForecast(models=[model], freq=1)`` and predicts the horizon.
Runs (``--runs``, comma-separated; each in a fresh process):

- ``lstm``: ``LSTM(h=h, random_seed=1)``; everything else at its default
  (``input_size=-1``, i.e. 3 * h; ``max_steps=1000``; ``scaler_type='robust'``,
  a per-window scaler, is LSTM's default).
- ``nhits``: ``NHITS(h=h, input_size=2 * h, random_seed=1)``. NHITS has no
  default ``input_size``; 2 * h is the docs' quick-start choice. Its default
  ``scaler_type`` is ``'identity'`` (no window scaling).
- ``nhits-standard``: ``nhits`` with ``scaler_type='standard'`` (each window
  standardised by its own mean and deviation).
- ``lstm-robust``, ``lstm-identity``: ``lstm`` with the scaler passed
  explicitly (a reproducibility check), or no window scaling.

Trainer settings that do not change the model: the progress bar and the
logger are off and each worker runs in a temporary directory (so no
``lightning_logs`` lands in the repository).

Scores: the M4 rules, exactly as ``bench_m4.py`` computes them (sMAPE; MASE
with the dataset's season, 1 for Weekly and 24 for hourly; OWA against
Naive2). Each worker reports fit + predict wall time (after imports and data
loading), the CPU time of that span (user + system, self + children) and the
worker's peak RSS.
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_m4 import DATASETS, load, owa_scores, peer_row, run_peer  # noqa: E402  (numpy, pandas)

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "m4-weekly"

# name: (model class, its arguments beyond h and random_seed; "2h" is twice the horizon)
RUNS = {
    "lstm": ("LSTM", {}),
    "nhits": ("NHITS", {"input_size": "2h"}),
    "nhits-standard": ("NHITS", {"input_size": "2h", "scaler_type": "standard"}),
    "lstm-robust": ("LSTM", {"scaler_type": "robust"}),
    "lstm-identity": ("LSTM", {"scaler_type": "identity"}),
}
TRAINER = {"enable_progress_bar": False, "logger": False, "enable_model_summary": False}


def _arguments(kwargs, horizon):
    return {k: 2 * horizon if v == "2h" else v for k, v in kwargs.items()}


def cpu_seconds():
    return sum(u.ru_utime + u.ru_stime for u in
               (resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN)))


def worker(name, dataset, data):
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for log in ("lightning", "pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(log).setLevel(logging.ERROR)
    import neuralforecast
    import neuralforecast.models as models
    import torch
    from neuralforecast import NeuralForecast

    long, actual, ids = load(dataset, data)
    long = long.assign(unique_id=long["unique_id"].astype(str))
    ids = np.asarray(ids).astype(str)
    by_id = {u: g["y"].to_numpy() for u, g in long.groupby("unique_id", sort=False)}
    history = [by_id[u] for u in ids]
    horizon, m = DATASETS[dataset]["horizon"], DATASETS[dataset]["season"]
    os.chdir(tempfile.mkdtemp(prefix="peer-nf-"))
    cls_name, kwargs = RUNS[name]
    cls = getattr(models, cls_name)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    model = cls(h=horizon, random_seed=1, **_arguments(kwargs, horizon), **TRAINER)
    nf = NeuralForecast(models=[model], freq=1)
    nf.fit(df=long)
    pred = nf.predict()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if "unique_id" not in pred.columns:
        pred = pred.reset_index()
    pred["unique_id"] = pred["unique_id"].astype(str)
    pred = pred.sort_values(["unique_id", "ds"])
    forecast = np.stack([g[cls_name].to_numpy(float) for _, g in pred.groupby("unique_id", sort=False)])
    order = {u: i for i, u in enumerate(pred["unique_id"].unique())}
    forecast = forecast[[order[u] for u in ids]]
    s, mase, o, _ = owa_scores(history, actual, forecast, m)
    print(json.dumps({
        "name": name, "sMAPE": s, "MASE": mase, "OWA": o, "wall_s": wall, "cpu_s": cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "versions": {"neuralforecast": neuralforecast.__version__, "torch": torch.__version__,
                     "lightning": _lightning_version(), "torch_threads": torch.get_num_threads()},
    }))


def _lightning_version():
    try:
        import lightning
        return "lightning " + lightning.__version__
    except ImportError:
        import pytorch_lightning
        return "pytorch_lightning " + pytorch_lightning.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--dataset", choices=DATASETS, default="weekly")
    parser.add_argument("--runs", default="lstm,nhits,nhits-standard")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.dataset, args.data)

    long, actual, ids = load(args.dataset, args.data)
    by_id = {u: g["y"].to_numpy() for u, g in long.groupby("unique_id", sort=False)}
    history = [by_id[u] for u in ids]
    horizon, m = DATASETS[args.dataset]["horizon"], DATASETS[args.dataset]["season"]
    naive = np.stack([np.repeat(h[-1], horizon) for h in history])
    s, mase, o, _ = owa_scores(history, actual, naive, m)
    published = " (M4 Weekly's published Naive: 9.161, 2.777)" if args.dataset == "weekly" else ""
    print(f"dataset {args.dataset}; naive: sMAPE {s:.3f}, MASE {mase:.3f}{published}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    print("| method | sMAPE | MASE | OWA | fit+predict wall s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    print(peer_row("Naive (last value)", s, mase, o), flush=True)
    for name in args.runs.split(","):
        cls_name, kwargs = RUNS[name]
        shown = {"h": horizon, **_arguments(kwargs, horizon)}
        label = f"{cls_name}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
        r = run_peer(__file__, args, name, label)
        if r is None:
            continue
        print(peer_row(label, r["sMAPE"], r["MASE"], r["OWA"], r["wall_s"], r["cpu_s"],
                  r["peak_rss_mib"]), f"<!-- {r['versions']} load {os.getloadavg()[0]:.2f} -->",
              flush=True)


if __name__ == "__main__":
    main()
