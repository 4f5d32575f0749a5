"""The docs' machinery (docs/*.py) and the code in the guides.

The site itself is built by ``mkdocs build --strict`` in CI; these tests
check the parts that build can't: that the gallery parser and the reST
conversions do what they say, that the figures show what the guide claims,
and that every Python block of the guides runs against the current API.
"""

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"sklstm_docs_{name}", DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gallery = _load("gallery")


# --- the gallery -------------------------------------------------------------

EXAMPLE = '''"""
Forecasting a sine
==================

The introduction, with :class:`~sklstm.LSTMRegressor` and
:func:`sklearn.model_selection.cross_validate`.
"""

# %%
# Load the data.
import numpy as np

x = np.arange(3)
print(x.sum())

# %%
# Fit it
# ------
#
# See `the docs <https://example.org>`_ for more::
#
#     indented literal
x = x * 2
'''


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    path = tmp_path_factory.mktemp("examples") / "plot_sine.py"
    path.write_text(EXAMPLE)
    resolve = {"sklstm.LSTMRegressor": "sklstm.LSTMRegressor"}.get
    return gallery.parse_example(path, resolve=resolve)


def test_parse_example_title_and_intro(example):
    assert example.title == "Forecasting a sine"
    assert example.intro.startswith("The introduction")
    assert "[`LSTMRegressor`][sklstm.LSTMRegressor]" in example.intro
    assert "`sklearn.model_selection.cross_validate`" in example.intro


def test_parse_example_cells(example):
    assert [cell.text.splitlines()[0] for cell in example.cells] == [
        "Load the data.", "## Fit it"]
    assert example.cells[0].code.splitlines() == [
        "import numpy as np", "", "x = np.arange(3)", "print(x.sum())"]
    assert example.cells[1].code == "x = x * 2"
    assert "[the docs](https://example.org)" in example.cells[1].text
    assert "for more:\n" in example.cells[1].text


@pytest.mark.parametrize("rst, markdown", [
    ("Title\n=====\n\nText", "# Title\n\nText"),
    ("A\n===\n\nB\n---", "# A\n\n## B"),
    ("see :class:`~sklearn.pipeline.Pipeline`", "see `Pipeline`"),
    ("see :func:`numpy.sum`", "see `numpy.sum`"),
    ("see :class:`sklstm.LSTMRegressor`", "see [`sklstm.LSTMRegressor`][sklstm.LSTMRegressor]"),
    ("see :class:`the regressor <sklstm.LSTMRegressor>`",
     "see [`the regressor`][sklstm.LSTMRegressor]"),
    ("`text <https://x.org>`_", "[text](https://x.org)"),
    ("like this::", "like this:"),
    ("- a list\n- stays", "- a list\n- stays"),
])
def test_rst_to_markdown(rst, markdown):
    resolve = {"sklstm.LSTMRegressor": "sklstm.LSTMRegressor"}.get
    assert gallery.rst_to_markdown(rst, resolve) == markdown


def test_run_cells_records_output_and_the_figures_left_open(tmp_path, monkeypatch):
    script = tmp_path / "plot_two_figures.py"
    script.write_text(
        '"""Two figures\n============\n"""\n'
        "# %%\n# First.\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1, 2]); plt.title('rising')\nprint('one')\n"
        "# %%\n# Second: two figures, then show() as a user's script ends.\n"
        "plt.figure(); plt.plot([2, 1]); plt.figure(); plt.plot([1, 1])\nplt.show()\n"
    )
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert gallery._run_cells(script, tmp_path) == 0
    records = json.loads((tmp_path / "cells.json").read_text())
    assert [r["stdout"] for r in records] == ["one\n", ""]
    assert [[f["file"] for f in r["figures"]] for r in records] == [
        ["plot_two_figures_01.png"], ["plot_two_figures_02.png", "plot_two_figures_03.png"]]
    assert records[0]["figures"][0]["alt"] == "rising"
    assert records[1]["figures"][0]["alt"] == "figure 2"
    assert (tmp_path / "plot_two_figures_03.png").stat().st_size > 0


def test_run_cells_reports_a_failing_cell(tmp_path, monkeypatch, capsys):
    script = tmp_path / "plot_fails.py"
    script.write_text('"""Fails\n=====\n"""\n# %%\nx = 1\n# %%\nraise ValueError("boom")\n# %%\ny = 2\n')
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert gallery._run_cells(script, tmp_path) == 1
    err = capsys.readouterr().err
    assert "ValueError: boom" in err
    assert f'File "{script}", line 7' in err  # the script's own line number
    records = json.loads((tmp_path / "cells.json").read_text())
    assert len(records) == 2  # stopped at the failing cell


GOOD = ('"""Good\n====\n"""\n# %%\nimport matplotlib.pyplot as plt\n'
        "plt.plot([0, 1])\nprint({value})\n")


@pytest.mark.slow
def test_run_example_stores_a_run_until_its_script_changes(tmp_path):
    runs = tmp_path / "runs"
    good = tmp_path / "plot_good.py"
    good.write_text(GOOD.format(value=1))
    bad = tmp_path / "plot_bad.py"
    bad.write_text('"""Bad\n===\n"""\n# %%\nraise RuntimeError("nope")\n')
    results = gallery.run_examples([good, bad], jobs=2, runs=runs)
    assert "cached" not in results[good] and results[good]["cells"][0]["stdout"] == "1\n"
    assert sorted(p.name for p in (runs / "plot_good").iterdir()) == [
        "plot_good_01.png", "run.json"]
    assert results[bad]["returncode"] != 0 and "RuntimeError: nope" in results[bad]["stderr"]
    assert gallery.failed(results[bad]) and not gallery.failed(results[good])
    assert not (runs / "plot_bad").exists()  # a failure is never stored
    again = gallery.run_examples([good, bad], jobs=2, runs=runs)
    assert again[good]["cached"] is True and "cached" not in again[bad]
    # the key is the script's own hash: a changed script runs again
    good.write_text(GOOD.format(value=2))
    assert gallery.load_run(good, runs) is None
    changed = gallery.run_example(good, runs=runs)
    assert "cached" not in changed and changed["cells"][0]["stdout"] == "2\n"
    assert gallery.run_example(good, runs=runs)["cached"] is True
    assert sorted(p.name for p in runs.iterdir()) == ["plot_good"]  # no leftovers


def test_example_page_places_figures_after_their_cell(example):
    result = {"returncode": 0, "seconds": 1.0, "cores": 2, "load_average": 1.0,
              "date": "2026-12-01", "python": "3.11.7", "cells": [
                  {"stdout": "3\n", "figures": [], "seconds": 0.1},
                  {"stdout": "", "figures": [{"file": "plot_sine_01.png", "alt": "the fit"}],
                   "seconds": 0.1},
              ]}
    page = gallery.example_page(example, result, lambda f: f"plot_sine/{f}", "plot_sine.py")
    assert page.startswith("# Forecasting a sine\n")
    assert page.index("x = x * 2") < page.index("![the fit](plot_sine/plot_sine_01.png)")
    assert page.index("print(x.sum())") < page.index("    3\n") < page.index("## Fit it")


def test_example_page_says_which_run_it_shows(example):
    run = {"seconds": 300.0, "cores": 2, "load_average": 3.5, "date": "2026-12-01",
           "python": "3.11.7", "versions": {"sklstm": "0.2.0", "keras": "3.15.1"},
           "cells": []}
    page = gallery.example_page(example, run, str, "plot_sine.py")
    note = page.index("What this page shows is what `python plot_sine.py` printed")
    assert note < page.index("x = x * 2")
    assert ("on 2026-12-01: it took 5 min on 2 CPU cores (load average 3.5), with "
            "Python 3.11.7, sklstm 0.2.0, keras 3.15.1.") in page
    assert "short" not in page.lower() and "FAST" not in page
    assert "Not run in this build" in gallery.example_page(example, None, str, "plot_sine.py")


# --- reST roles in docstrings ---------------------------------------------------

@pytest.fixture(scope="module")
def griffe_ext():
    pytest.importorskip("griffe")
    return _load("griffe_sklstm")


@pytest.fixture(scope="module")
def package(griffe_ext):
    import griffe

    return griffe.load("sklstm", search_paths=[str(ROOT)], docstring_parser="numpy",
                       extensions=griffe.Extensions(griffe_ext.SklstmDocstrings()))


@pytest.mark.parametrize("rst, markdown", [
    (":class:`~sklearn.pipeline.Pipeline`", "`Pipeline`"),
    (":class:`sklearn.pipeline.Pipeline`", "`sklearn.pipeline.Pipeline`"),
    (":term:`fit`", "`fit`"),
    (":class:`SequenceWindower`", "[`SequenceWindower`][sklstm.SequenceWindower]"),
    (":meth:`~sklstm.SequenceWindower.get_feature_names_out`",
     "[`get_feature_names_out`][sklstm.SequenceWindower.get_feature_names_out]"),
    ("tune it::\n\n    code", "tune it:\n\n    code"),
    ("See Also\n--------\nSequenceWindower : Makes windows.\nnumpy.sum : Adds\n    things.",
     ("See Also\n--------\n- [`SequenceWindower`][sklstm.SequenceWindower]: Makes windows.\n"
      "- `numpy.sum`: Adds\n  things.")),
])
def test_docstring_roles_become_markdown(griffe_ext, package, rst, markdown):
    public = griffe_ext.public_paths(package)
    scope = package["SequenceWindower"].final_target
    resolve = lambda target: griffe_ext.resolve(package, public, scope, target)  # noqa: E731
    assert griffe_ext.to_markdown(rst, resolve=resolve) == markdown


def test_lazy_exports_become_aliases(griffe_ext, package):
    source = (ROOT / "sklstm" / "__init__.py").read_text()
    lazy = griffe_ext.lazy_exports(source)
    assert lazy, "sklstm/__init__.py has no _LAZY exports to document"
    for name, module in lazy.items():
        if (ROOT / "sklstm" / f"{module.lstrip('.')}.py").exists():
            assert package[name].final_target.path == f"sklstm.{module.lstrip('.')}.{name}"


def test_private_members_are_not_linked(griffe_ext, package):
    public = griffe_ext.public_paths(package)
    scope = package["LSTMRegressor"].final_target
    assert griffe_ext.resolve(package, public, scope, "_check_params") is None
    assert griffe_ext.resolve(package, public, scope, "fit") == "sklstm.LSTMRegressor.fit"


# --- figures and math ------------------------------------------------------

def test_windowing_figure_matches_the_rule():
    """The drawn windows are rows t-2..t of the drawn input, NaN before row 0."""
    import matplotlib.pyplot as plt

    from sklstm.datasets import load_temperatures

    figures = _load("figures")
    fig = figures.windowing_figure(sequence_length=3, n_rows=6)
    texts = fig.axes[0].texts
    plt.close(fig)
    headers = {t.get_text(): t.get_position()[0] for t in texts
               if t.get_text() in ("t\u22122", "t\u22121", "t")}
    columns = [headers["t\u22122"], headers["t\u22121"], headers["t"]]
    grid = {}
    for text in texts:
        x, y = text.get_position()
        if x in columns and re.fullmatch(r"-?[\d.]+|NaN", text.get_text()):
            grid.setdefault(y, [None] * 3)[columns.index(x)] = text.get_text()
    drawn = [grid[y] for y in sorted(grid, reverse=True)]  # row 0 is on top
    values = [f"{v:g}" for v in load_temperatures().iloc[:6]]
    expected = [[values[k] if k >= 0 else "NaN" for k in range(t - 2, t + 1)]
                for t in range(6)]
    assert drawn == expected


@pytest.mark.parametrize("name", ["windowing", "cv_folds", "lstm_cell", "bptt"])
def test_figures_render_to_svg(name):
    figures = _load("figures")
    svg = figures.render(name)
    assert svg.startswith(b"<?xml") and b"<svg" in svg
    assert figures.render(name) == svg  # deterministic: a rebuild changes nothing


def test_math_becomes_mathml():
    pytest.importorskip("mkdocs")
    pytest.importorskip("latex2mathml")
    hooks = _load("hooks")
    html = ('<p>inline <span class="arithmatex">\\(h_t &lt; 1\\)</span></p>'
            '<div class="arithmatex">\\[c_t = f_t \\odot c_{t-1}\\]</div>')

    class Page:
        class file:
            src_uri = "x.md"

    out = hooks.on_page_content(html, page=Page, config=None, files=None)
    assert "arithmatex" not in out
    assert out.count("<math") == 2 and 'display="block"' in out
    assert "<mo>&#x0003C;</mo>" in out  # '&lt;' read as '<', then escaped in MathML


# --- the guides' code ---------------------------------------------------------

GUIDES = ["../README.md", "index.md", "getting-started.md", "user-guide/windowing.md",
          "user-guide/cross-validation.md", "user-guide/grid-search.md",
          "user-guide/panels.md", "user-guide/long-panels.md",
          "user-guide/first-hour-long-data.md", "user-guide/future-covariates.md"]
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


# functions called for what they do, not for a value to show
SIDE_EFFECTS = {"print", "save_estimator"}


@pytest.mark.parametrize("page", ["../README.md", *sorted(
    p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))])
def test_guide_code_prints_what_it_shows(page):
    """Copied into a script, a block prints what the page shows.

    A bare expression (``windows.shape``, ``forecast(model, ...)``) shows its
    value in a notebook and nothing in a script; method calls (``search.fit``)
    are kept for what they do.
    """
    import ast

    shown = []
    for block in FENCE.findall((DOCS / page).read_text()):
        for node in ast.parse(block).body:
            value = node.value if isinstance(node, ast.Expr) else None
            if value is None or isinstance(value, ast.Constant):
                continue
            if isinstance(value, ast.Call) and not (
                    isinstance(value.func, ast.Name) and value.func.id not in SIDE_EFFECTS):
                continue
            shown.append(ast.get_source_segment(block, node).splitlines()[0])
    assert not shown, f"{page}: wrap in print() or assign: {shown}"


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDES)
def test_guide_code_runs(page, monkeypatch):
    """Run every top-level Python block of a guide, in order, in one namespace.

    Small settings: the data is the last 500 days, every LSTM trains for at
    most 2 epochs, and grids of LSTM sizes keep one size (each size is one
    more network to compile), so this checks names, shapes and wiring, not
    accuracy.
    """
    import sklstm.datasets
    from sklstm import LSTMRegressor

    full = sklstm.datasets.load_seattle_weather
    monkeypatch.setattr(sklstm.datasets, "load_seattle_weather", lambda: full().iloc[-500:])
    fit = LSTMRegressor.fit

    def short_fit(self, X, y, **kwargs):
        self.epochs = min(self.epochs, 2)
        return fit(self, X, y, **kwargs)

    monkeypatch.setattr(LSTMRegressor, "fit", short_fit)
    blocks = [block.replace("[16, 32]", "[16]")
              for block in FENCE.findall((DOCS / page).read_text())]
    assert blocks, f"{page} has no Python blocks"
    namespace = {"__name__": "__docs__"}
    for block in blocks:
        exec(compile(block, f"{page}", "exec"), namespace)
    if "search" in namespace:
        assert np.isfinite(namespace["search"].best_score_)
