import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pandas as pd
import pytest

import sklstm  # noqa: F401  (picks the JAX backend before any test imports Keras)

# the examples' training budget, for their subprocesses only (test_examples.py):
# never imported here, where --doctest-modules would import every module
collect_ignore = ["fast_examples"]


@pytest.fixture(scope="module")
def sine_frame():
    """200 rows of a noisy sine with one exogenous column, daily index."""
    rng = np.random.default_rng(0)
    t = np.arange(200.0)
    return pd.DataFrame(
        {"y": np.sin(t / 6) + 0.05 * rng.standard_normal(200),
         "x": np.cos(t / 6)},
        index=pd.date_range("2020-01-01", periods=200, freq="D"),
    )


@pytest.fixture(scope="module")
def sine_xy(sine_frame):
    """X at t (both columns), y at t+1, as numpy arrays."""
    X = sine_frame.to_numpy()[:-1]
    y = sine_frame["y"].to_numpy()[1:]
    return X, y
