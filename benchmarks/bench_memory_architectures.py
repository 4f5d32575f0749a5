"""Memory of a long search: many distinct architectures fitted one after another.

What a ``RandomizedSearchCV`` over ``units`` and ``sequence_length`` does to
the process: every candidate is a new architecture, so a new set of compiled
programs. Each contender runs in a fresh process with an empty compilation
cache directory and fits ``LSTMRegressor(units=u, epochs=1)`` on windows of
``sequence_length=L`` of a sine, then predicts and drops the estimator:

``distinct``
    ``--n`` distinct architectures (default 120): ``L = 4 + i % 3`` and
    ``units = 2 + i // 3``, so every fit is a new (L, units) pair.
``distinct-small``
    ``--n`` distinct architectures of bounded size: ``L = 4 + i % 24`` and
    ``units = 2 + i // 24`` (units 2 to 11 for 240 fits), so growth that
    remains is not the architectures getting bigger (not in the default
    contenders).
``distinct-cleared``
    ``distinct`` with ``jax.clear_caches()`` after each fit, so JAX keeps no
    eager program of any model build: its ``MiB per cached architecture``
    is what the compiled steps alone cost (not in the default contenders).
``same``
    ``--n`` fits of one architecture (``L=4, units=4``), each with its own
    seed: the flat reference.

After each block of ``--block`` fits (default 10) the worker runs
``gc.collect()`` and records the resident set size (``/proc/self/statm``)
and the number of live ``keras.Model`` objects. The table prints RSS per
block; ``growth after warm-up`` is the RSS at the end minus the RSS after
``--warmup`` fits (default 40, more than twice the default program-cache
bound of 16 architectures, so the cache and JAX's own caches have been
through a full cycle), and ``MiB per fit`` that growth divided by the fits
after warm-up. ``MiB per cached architecture`` is the slope of RSS over the
fits 2 to ``--bound`` (default 16, the cache bound) of ``distinct``, while
nothing is evicted: what one architecture's compiled programs, and the eager
programs of its model build that JAX keeps, cost while cached.

Run: ``PYTHONPATH=. python benchmarks/bench_memory_architectures.py
[--n 120] [--pythonpath OTHER_CHECKOUT]``
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_pythonpath_arg,
    apply_pythonpath_arg,
    fresh_cache_dir,
    is_worker,
    machine,
    rss_mib,
    run_worker,
    worker_main,
)


def worker(arg):
    import gc

    import keras
    import numpy as np

    from sklstm import LSTMRegressor, SequenceWindower

    series = np.sin(np.arange(200.0) / 4)
    windows = {L: SequenceWindower(L).fit_transform(series[:-1, None]) for L in range(4, 28)}
    y = series[1:]
    rows, start = [], time.perf_counter()
    for i in range(arg["n"]):
        if arg["kind"] == "distinct-small":
            L, units, seed = 4 + i % 24, 2 + i // 24, 0
        elif arg["kind"].startswith("distinct"):
            L, units, seed = 4 + i % 3, 2 + i // 3, 0
        else:
            L, units, seed = 4, 4, i
        reg = LSTMRegressor(units=units, epochs=1, batch_size=32, early_stopping=False, random_state=seed)
        reg.fit(windows[L], y).predict(windows[L])
        del reg
        if arg["kind"] == "distinct-cleared":
            import jax

            jax.clear_caches()
        if (i + 1) % arg["block"] == 0 or i + 1 in (2, arg["bound"]):
            gc.collect()
            rows.append({
                "fits": i + 1, "rss_mib": rss_mib(),
                "live_models": sum(isinstance(o, keras.Model) for o in gc.get_objects()),
                "seconds": time.perf_counter() - start,
            })
    return {"rows": rows}


WORKERS = {"worker": worker}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120, help="fits per contender")
    parser.add_argument("--block", type=int, default=10, help="fits between RSS samples")
    parser.add_argument("--warmup", type=int, default=40, help="fits before growth is counted")
    parser.add_argument("--bound", type=int, default=16, help="architectures the program cache keeps")
    parser.add_argument("--contenders", default="distinct,same")
    add_pythonpath_arg(parser)
    args = parser.parse_args()
    apply_pythonpath_arg(args)
    print(machine())
    results = {}
    for kind in args.contenders.split(","):
        arg = {"kind": kind, "n": args.n, "block": args.block, "bound": args.bound}
        results[kind] = run_worker(__file__, "worker", arg, env={"SKLSTM_CACHE_DIR": fresh_cache_dir()})
    samples = [row["fits"] for row in next(iter(results.values()))["rows"]]
    print("\nRSS (MiB) and live keras.Model objects after gc.collect(), by fits done")
    width = {kind: max(14, len(kind) + 4) for kind in results}
    print(f"{'fits':>5s} " + " ".join(f"{kind + ' RSS':>{width[kind]}s} {'models':>7s}" for kind in results))
    for j, fits in enumerate(samples):
        print(f"{fits:5d} " + " ".join(
            f"{r['rows'][j]['rss_mib']:{width[kind]}.0f} {r['rows'][j]['live_models']:7d}"
            for kind, r in results.items()
        ))
    print()
    for kind, res in results.items():
        by_fits = {row["fits"]: row for row in res["rows"]}
        last = res["rows"][-1]
        line = f"{kind:>9s}: {last['seconds']:.0f} s for {last['fits']} fits"
        if args.warmup in by_fits:
            growth = last["rss_mib"] - by_fits[args.warmup]["rss_mib"]
            line += (f"; growth after warm-up ({args.warmup} -> {last['fits']} fits): {growth:.0f} MiB, "
                     f"{growth / (last['fits'] - args.warmup):.2f} MiB per fit")
        if kind.startswith("distinct") and args.bound in by_fits and args.bound > 2:
            slope = (by_fits[args.bound]["rss_mib"] - by_fits[2]["rss_mib"]) / (args.bound - 2)
            line += f"; MiB per cached architecture (fits 2 -> {args.bound}): {slope:.1f}"
        print(line)


if __name__ == "__main__":
    if is_worker():
        worker_main(WORKERS)
    else:
        main()
