"""Cost of the divergence check.

``LSTMRegressor.fit`` warns when the training loss ends more than 10 times
above the loss it started from. Until issue 17 it measured that start with
one forward pass over up to 256 evenly spread training rows before every
fit; now the start is the first batch's loss, which the training loop
computes with the starting weights anyway, and the 256-row pass runs only to
confirm a suspicious end. This measures the same fits with the check
(``with check``) and with it switched off (``without``:
``LSTMRegressor._warn_if_diverged`` doing nothing), each contender in a fresh
process, on the data of ``bench_overhead.py`` (Seattle temp_max, windows of
14 days, 1,460 rows, LSTM(32), batch 32, no early stopping), for 1 and 10
epochs; and the confirming pass alone (``_loss_with`` the starting weights).

Run: ``PYTHONPATH=. python benchmarks/bench_divergence_check.py [--repeat 5]``
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt, is_worker, machine, run_worker, summary, worker_main  # noqa: E402

EPOCHS = (1, 10)


def _worker(check, repeat):
    from bench_overhead import _data

    from sklstm import LSTMRegressor

    if not check:
        LSTMRegressor._warn_if_diverged = lambda self, *args: None
    windows, y, _ = _data()
    out = {}
    for epochs in EPOCHS:
        reg = LSTMRegressor(units=32, epochs=epochs, batch_size=32, early_stopping=False,
                            random_state=0)
        reg.fit(windows, y)  # compile and warm up
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            reg.fit(windows, y)
            times.append(time.perf_counter() - start)
        out[str(epochs)] = times
    if check:  # the confirming pass alone, as fit calls it when the end is suspicious
        from sklstm._programs import variable_values

        X, Y = windows.astype(float), y.reshape(-1, 1)
        weights = (variable_values(reg.model_.trainable_variables),
                   variable_values(reg.model_.non_trainable_variables))
        alone = []
        for _ in range(20):
            start = time.perf_counter()
            reg._loss_with(weights, X, Y)
            alone.append(time.perf_counter() - start)
        out["alone"] = alone
    return out


WORKERS = {
    "with check": lambda arg: _worker(True, arg),
    "without": lambda arg: _worker(False, arg),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    results = {name: run_worker(__file__, name, args.repeat) for name in WORKERS}
    print(f"\nwarm fit, median [min-max] of {args.repeat}")
    print(f"{'epochs':>6}  {'with check':>22}  {'without':>22}  ratio")
    for epochs in map(str, EPOCHS):
        with_, without = results["with check"][epochs], results["without"][epochs]
        ratio = summary(with_)[0] / summary(without)[0]
        print(f"{epochs:>6}  {fmt(with_):>22}  {fmt(without):>22}  {ratio:.2f}x")
    print(f"\nthe confirming pass alone (20 calls): "
          f"{fmt(results['with check']['alone'], 'ms', 1e3)}")


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
