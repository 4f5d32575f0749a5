"""Peer benchmark: neuralforecast's LSTM and NHITS on M4 Weekly (issue 16).

neuralforecast is **never** a dependency of sklstm: this script runs in a
throw-away virtual environment of its own, made like this (torch first, from
the CPU build on disk, so that neuralforecast does not pull another one)::

    python3 -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install torch==2.13.0
    /tmp/peer-venv/bin/pip install neuralforecast
    /tmp/peer-venv/bin/python benchmarks/peer_neuralforecast_m4.py [DATA_DIR] [--runs a,b,...]

``DATA_DIR`` holds ``Weekly-train.csv.gz`` and ``Weekly-test.csv.gz``
(default ``../shared/data/m4-weekly`` beside the repository). The script does
not import sklstm.

The 359 series become a long frame ``unique_id``/``ds``/``y`` with integer
``ds`` (0, 1, ... per series; ``freq=1``), and each run fits
``NeuralForecast(models=[model], freq=1)`` on it and predicts the 13 test
weeks. Runs (``--runs``, comma-separated; each in a fresh process):

- ``lstm``: ``LSTM(h=13, random_seed=1)``; everything else at its default
  (``input_size=-1``, i.e. 3 * h = 39; ``max_steps=1000``;
  ``scaler_type='robust'``, the per-window scaler, is already LSTM's default).
- ``nhits``: ``NHITS(h=13, input_size=26, random_seed=1)``. NHITS has no
  default ``input_size``; 26 = 2 * h is the docs' quick-start choice. Its
  default ``scaler_type`` is ``'identity'`` (no window scaling).
- ``nhits-standard``: ``nhits`` with ``scaler_type='standard'`` (each window
  standardised by its own mean and deviation).
- ``lstm-robust``: ``lstm`` with ``scaler_type='robust'`` passed explicitly
  (the same model as ``lstm``: a check of run-to-run reproducibility).
- ``lstm-identity``: ``lstm`` with ``scaler_type='identity'`` (no window
  scaling), for contrast.

Trainer settings that do not change the model: the progress bar and the
logger are off and each worker runs in a temporary directory (so no
``lightning_logs`` lands in the repository).

Scores (M4 rules; m = 1 for Weekly): sMAPE = mean over series and steps of
200 |y - f| / (|y| + |f|); MASE = per series mean |y - f| over the mean
absolute one-step change of its training values, averaged over series;
OWA = 0.5 (sMAPE / 9.161 + MASE / 2.777). The Naive forecast (last value)
is scored first and must reproduce the published 9.161 / 2.777.

Each worker reports fit + predict wall time (after imports and data loading),
the CPU time of that span (``resource.getrusage`` user + system, self +
children) and the worker's peak RSS (``ru_maxrss``, whole process).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

H = 13
NAIVE_SMAPE, NAIVE_MASE = 9.161, 2.777
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "m4-weekly"

RUNS = {
    "lstm": ("LSTM", {}),
    "nhits": ("NHITS", {"input_size": 2 * H}),
    "nhits-standard": ("NHITS", {"input_size": 2 * H, "scaler_type": "standard"}),
    "lstm-robust": ("LSTM", {"scaler_type": "robust"}),
    "lstm-identity": ("LSTM", {"scaler_type": "identity"}),
}
TRAINER = {"enable_progress_bar": False, "logger": False, "enable_model_summary": False}


def load(folder):
    """(long frame, list of training arrays, test array (n, 13), ids)."""
    folder = Path(folder)
    train = pd.read_csv(folder / "Weekly-train.csv.gz")
    test = pd.read_csv(folder / "Weekly-test.csv.gz")
    ids = train.iloc[:, 0].astype(str).to_numpy()
    values = train.iloc[:, 1:].to_numpy(float)
    history = [row[np.isfinite(row)] for row in values]
    long = pd.DataFrame({
        "unique_id": np.repeat(ids, [len(h) for h in history]),
        "ds": np.concatenate([np.arange(len(h)) for h in history]),
        "y": np.concatenate(history),
    })
    actual = test.set_index(test.columns[0]).loc[ids].to_numpy(float)
    return long, history, actual, ids


def score(history, actual, forecast):
    smape = np.mean(200 * np.abs(actual - forecast) / (np.abs(actual) + np.abs(forecast)))
    mase = np.mean([np.mean(np.abs(a - f)) / np.mean(np.abs(np.diff(h)))
                    for h, a, f in zip(history, actual, forecast)])
    owa = 0.5 * (smape / NAIVE_SMAPE + mase / NAIVE_MASE)
    return float(smape), float(mase), float(owa)


def cpu_seconds():
    return sum(u.ru_utime + u.ru_stime for u in
               (resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN)))


def worker(name, data):
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for log in ("lightning", "pytorch_lightning", "lightning.pytorch", "lightning_fabric"):
        logging.getLogger(log).setLevel(logging.ERROR)
    import neuralforecast
    import neuralforecast.models as models
    import torch
    from neuralforecast import NeuralForecast

    long, history, actual, ids = load(data)
    os.chdir(tempfile.mkdtemp(prefix="peer-nf-"))
    cls_name, kwargs = RUNS[name]
    cls = getattr(models, cls_name)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    model = cls(h=H, random_seed=1, **kwargs, **TRAINER)
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
    s, m, o = score(history, actual, forecast)
    print(json.dumps({
        "name": name, "sMAPE": s, "MASE": m, "OWA": o, "wall_s": wall, "cpu_s": cpu,
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


def row(method, s, m, o, wall="-", cpu="-", rss="-"):
    fmt = lambda v: v if isinstance(v, str) else f"{v:.1f}"
    return f"| {method} | {s:.3f} | {m:.3f} | {o:.3f} | {fmt(wall)} | {fmt(cpu)} | {fmt(rss)} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--runs", default="lstm,nhits,nhits-standard,lstm-robust")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.data)

    _, history, actual, _ = load(args.data)
    naive = np.stack([np.repeat(h[-1], H) for h in history])
    s, m, o = score(history, actual, naive)
    print(f"Naive check: sMAPE {s:.3f} (published {NAIVE_SMAPE}), MASE {m:.3f} "
          f"(published {NAIVE_MASE}); load average {os.getloadavg()[0]:.2f}", flush=True)
    print("| method | sMAPE | MASE | OWA | fit+predict wall s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    print(row("Naive (last value)", s, m, o), flush=True)
    for name in args.runs.split(","):
        cls_name, kwargs = RUNS[name]
        label = f"{cls_name}({', '.join(f'{k}={v!r}' for k, v in {'h': H, **kwargs}.items())})"
        try:
            proc = subprocess.run([sys.executable, __file__, args.data, "--worker", name],
                                  capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"| {label} | stopped after {args.timeout:.0f} s | | | | | |", flush=True)
            continue
        lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
        if proc.returncode or not lines:
            print(f"| {label} | failed (rc {proc.returncode}) | | | | | |")
            print(proc.stderr[-3000:], file=sys.stderr)
            continue
        r = json.loads(lines[-1])
        print(row(label, r["sMAPE"], r["MASE"], r["OWA"], r["wall_s"], r["cpu_s"],
                  r["peak_rss_mib"]), f"<!-- {r['versions']} load {os.getloadavg()[0]:.2f} -->",
              flush=True)


if __name__ == "__main__":
    main()
