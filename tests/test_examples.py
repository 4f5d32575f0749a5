"""Every gallery example runs, in fast mode, and writes its figures."""

import runpy
from pathlib import Path

import matplotlib
import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_writes_figures(path, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("SKLSTM_EXAMPLE_FAST", "1")
    monkeypatch.setenv("SKLSTM_FIGURES_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    import matplotlib.pyplot as plt

    plt.close("all")
    assert list(tmp_path.glob("*.png")), f"{path.name} wrote no figure"
