"""What an ensemble of networks trained as one vectorised JAX program costs (issue 25).

Issue 25 asks for "ensembles that cost little: several networks trained as
one vectorised JAX program, averaged; measure cost against one network on 2
cores". This script measures that cost before anything is built on it: the
train step of the network the recipe builds (``_recipe.build_network``:
LSTM, zero head, Adam, MAE), alone and as ``jax.vmap`` of the same pure
Keras ``train_step`` over K stacked states, jitted once. Two ways to feed K
networks:

- ``own``: each network gets its own batch (``in_axes=(0, 0)``: seeds and
  sampled windows both differ, as K separate fits would);
- ``shared``: one batch for all (``in_axes=(0, None)``: only the seeds
  differ), which lets XLA do each step's input projection as one matmul.

Shapes are those of the default fits (``window``: LSTM steps x inputs per
step; ``units``; ``horizon``; batch 256): ``synthetic-2s`` is the 414-series
hourly panel with ``season_length=(24, 168)`` (336 hours read two days per
LSTM step, 128 units), ``weekly`` M4 Weekly (52 weeks read four per step,
128 units), ``weather`` the 88-series hourly panel (192 hours read a day per
step, 64 units). Each shape and K runs in a fresh process; random data (the
cost of a step does not depend on the values). K separate fits cost K times
one network's steps, so a ratio under K is what vectorising saves.

Usage::

    PYTHONPATH=. python benchmarks/bench_vmap_ensemble.py --steps 300
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import is_worker, machine, run_worker, worker_main

# name: (LSTM steps, inputs per step, horizon, units), as the default fits build them
SHAPES = {"synthetic-2s": (7, 48, 48, 128), "weekly": (13, 4, 13, 128), "weather": (8, 24, 48, 64)}
BATCH = 256


def worker(arg):
    from types import SimpleNamespace

    import jax
    import numpy as np

    from sklstm._programs import _ensure_built, variable_values
    from sklstm._recipe import build_network

    lstm_steps, inputs, horizon, units = SHAPES[arg["shape"]]
    k, feed, n_steps = arg["k"], arg["feed"], arg["steps"]
    rng = np.random.default_rng(0)
    pool = 8 * BATCH
    X = rng.normal(size=(pool, lstm_steps, inputs)).astype(np.float32)
    y = rng.normal(size=(pool, horizon)).astype(np.float32)
    w = np.ones(pool, np.float32)

    def state_of(seed):
        settings = SimpleNamespace(dropout=0.0, seed=seed, learning_rate=0.003)
        model = build_network((lstm_steps, inputs), horizon, settings, (units,))
        _ensure_built(model, X[:BATCH], y[:BATCH])
        model.optimizer.build(model.trainable_variables)
        state = (variable_values(model.trainable_variables),
                 variable_values(model.non_trainable_variables),
                 variable_values(model.optimizer.variables),
                 [np.zeros(v.shape, v.dtype) for v in model.metrics_variables])
        return model, state

    models, states = zip(*(state_of(seed) for seed in range(k)))
    model = models[0]

    def train(state, data):
        return model.train_step(state, data)

    if k == 1 and feed == "own":
        step, state = jax.jit(train), states[0]
    else:
        step = jax.jit(jax.vmap(train, in_axes=(0, 0 if feed == "own" else None)))
        state = jax.tree_util.tree_map(lambda *leaves: np.stack(leaves), *states)

    def batch(i):
        rows = [(np.arange(BATCH) + i * BATCH + 37 * j) % pool for j in range(k)]
        if k == 1 and feed == "own":
            return X[rows[0]], y[rows[0]], w[rows[0]]
        if feed == "shared":
            return X[rows[0]], y[rows[0]], w[rows[0]]
        return tuple(np.stack([a[r] for r in rows]) for a in (X, y, w))

    start = time.perf_counter()
    logs, state = step(state, batch(0))
    jax.block_until_ready(state)
    compile_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n_steps):
        logs, state = step(state, batch(i))
    jax.block_until_ready(state)
    return {"compile_s": compile_s,
            "step_ms": (time.perf_counter() - start) / n_steps * 1e3,
            "cpu_ms": (time.process_time() - cpu) / n_steps * 1e3,
            "finite": bool(np.isfinite(np.asarray(logs["loss"])).all())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--ks", default="1,2,3,4")
    args = parser.parse_args()
    print(machine())
    print(f"train steps of batch {BATCH}, {args.steps} steps after the first (compiling) one\n")
    print("| shape (LSTM steps x inputs, units, horizon) | K | feed | ms per step | CPU ms | x one network | x K separate fits |")
    print("|---|---|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        lstm_steps, inputs, horizon, units = SHAPES[shape]
        one = None
        for k in map(int, args.ks.split(",")):
            for feed in (("own",) if k == 1 else ("own", "shared")):
                arg = {"shape": shape, "k": k, "feed": feed, "steps": args.steps}
                r = run_worker(__file__, shape, arg)
                assert r["finite"], r
                one = one or r["step_ms"]
                print(f"| {shape} ({lstm_steps} x {inputs}, {units}, {horizon}) | {k} | {feed} | "
                      f"{r['step_ms']:.1f} | {r['cpu_ms']:.1f} | {r['step_ms'] / one:.2f} | "
                      f"{r['step_ms'] / one / k:.2f} |", flush=True)


if __name__ == "__main__":
    if is_worker():
        worker_main(dict.fromkeys(SHAPES, worker))
    else:
        main()
