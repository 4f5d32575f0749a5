"""The gallery's examples: each runs as it is, and its stored run is current.

The docs show a stored run of each script (``docs/gallery-runs/``, see
``docs/gallery.py``); here every example runs again, through the gallery's
own runner, on a small training budget set from outside its code
(``tests/fast_examples/sitecustomize.py``), so a change in sklstm that
breaks an example fails the test suite, not the next docs build.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
FAST = Path(__file__).resolve().parent / "fast_examples"

spec = importlib.util.spec_from_file_location("sklstm_docs_gallery", ROOT / "docs" / "gallery.py")
gallery = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = gallery
spec.loader.exec_module(gallery)

ids = [p.stem for p in EXAMPLES]


def _fast_env():
    path = os.pathsep.join(filter(None, [str(FAST), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path)


@pytest.mark.parametrize("path", EXAMPLES, ids=ids)
def test_example_shows_no_test_settings(path):
    """What users read and download is what runs: no fast-mode branch."""
    source = path.read_text()
    found = re.findall(r"\bFAST\b|SKLSTM_EXAMPLE_FAST|PYTEST|pytest", source)
    assert not found, f"{path.name} carries test settings ({found}); see tests/fast_examples/"


@pytest.mark.parametrize("path", EXAMPLES, ids=ids)
def test_stored_run_is_that_of_the_script(path):
    """The gallery's stored run (output and figures) is that of the script as it is."""
    run = gallery.load_run(path)
    fix = (f"run `python docs/gallery.py {path.relative_to(ROOT)}` and commit "
           f"docs/gallery-runs/{path.stem}/")
    assert run is not None, f"no stored run of {path.name} as it is now: {fix}"
    cells = gallery.parse_example(path).cells
    assert len(run["cells"]) == len(cells), f"the stored run stopped early: {fix}"
    figures = [f["file"] for cell in run["cells"] for f in cell["figures"]]
    assert figures, f"{path.name} drew no figure"
    stored = {p.name for p in (gallery.RUNS / path.stem).iterdir()} - {"run.json"}
    assert stored == set(figures), f"docs/gallery-runs/{path.stem}/ holds other files"


def test_fast_mode_stays_out_of_the_test_process():
    from sklstm import LSTMForecaster, LSTMRegressor

    assert (LSTMRegressor.fit.__name__, LSTMForecaster.fit.__name__) == ("fit", "fit")


def test_fast_mode_caps_training():
    """The small budget reaches the estimators (a renamed module would lose it)."""
    code = ("from sklstm import LSTMForecaster, LSTMRegressor\n"
            "print(LSTMRegressor.fit.__name__, LSTMForecaster.fit.__name__)")
    proc = subprocess.run([sys.executable, "-c", code], env=_fast_env(), capture_output=True,
                          text=True, check=True, timeout=300)
    assert proc.stdout.split() == ["fit_briefly", "fit_briefly"], proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=ids)
def test_example_runs_and_draws(path, tmp_path):
    result = gallery.run_script(path, tmp_path, env=_fast_env(), timeout=600)
    assert result["returncode"] == 0, result["stderr"]
    assert "Error in sitecustomize" not in result["stderr"]
    assert len(result["cells"]) == len(gallery.parse_example(path).cells)
    figures = [f for cell in result["cells"] for f in cell["figures"]]
    assert figures, f"{path.name} drew no figure"
    for figure in figures:
        assert (tmp_path / figure["file"]).stat().st_size > 0
