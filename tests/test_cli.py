"""The ``sklstm`` command line: one tiny end-to-end run, and bad input."""

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit

from sklstm import make_supervised
from sklstm._conformal import few_rows_warning
from sklstm.cli import _min_rows, _other_length, main

ROOT = Path(__file__).parents[1]
N_ROWS = 120
TINY = ["--splits", "2", "--sequence-length", "3", "--units", "4", "--max-steps", "2",
        "--horizon", "2"]


def _frame(n=N_ROWS):
    t = np.arange(n)
    return pd.DataFrame({
        "date": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "y": np.round(10 + 3 * np.sin(t / 5) + 0.1 * np.cos(t), 3),
        "x": np.round(np.cos(t / 5), 3),
        "label": ["sun"] * n,
    })


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "series.csv"
    _frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def tiny_run(csv_path, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("out") / "results"
    with pytest.MonkeyPatch.context() as patch:
        trained = _count_networks(patch)
        code, stdout, stderr = _run(
            ["forecast", str(csv_path), "--target", "y", "--features", "x", *TINY,
             "--out", str(out_dir)])
    return code, stdout, stderr, out_dir, trained


def _count_networks(patch):
    """Count the networks trained (the recipe's fits) from now on; returns the count list."""
    from sklstm import _recipe

    trained, fit = [], _recipe.fit
    patch.setattr(_recipe, "fit", lambda *a, **k: (trained.append(1), fit(*a, **k))[1])
    return trained


def test_forecast_run_succeeds_and_reports(tiny_run):
    code, stdout, stderr, out_dir, _ = tiny_run
    assert code == 0, stderr
    assert "MAE" in stdout and "RMSE" in stdout and "persistence" in stdout
    assert "best: sequence_length=3, units=4" in stdout
    assert "forecast of y for the next 2 step(s), 90% interval" in stdout
    assert f"wrote to {out_dir}/" in stdout
    assert "cv_series.csv" not in stdout  # a file of panels only
    assert "to tune: --sequence-length auto 6 --units 32 64" in stdout  # 4 x 6 <= 120 rows
    # progress bar on stderr: 1 candidate x 2 folds + the refit
    assert "3/3" in stderr


@pytest.mark.parametrize("length, shortest, season_length, other", [
    (28, 1461, None, 56),  # Seattle's days: four windows of 56 fit
    (336, 672, (24, 168), 168),  # four weeks of hours: a week, not four
    (48, 120, 12, 24),  # ten years of months: two years, in whole years
    (24, 120, 12, 12),
    (30, 100, 24, 15),  # half is less than a season: half
    (1, 2, None, 2),  # no shorter window than one step
])
def test_the_window_to_tune_beside_the_best_fits_the_shortest_series(
        length, shortest, season_length, other):
    assert _other_length(length, shortest, season_length) == other


def test_forecast_trains_candidates_times_folds_plus_one_networks(tiny_run):
    # the out-of-fold predictions are the search's own fold fits' (1 x 2), then one refit
    *_, trained = tiny_run
    assert len(trained) == 1 * 2 + 1


def test_forecast_run_writes_forecast_csv(tiny_run):
    *_, out_dir, _ = tiny_run
    fc = pd.read_csv(out_dir / "forecast.csv", index_col="date", parse_dates=["date"])
    assert list(fc.columns) == ["forecast", "lower", "upper"]
    last = pd.Timestamp("2021-01-01") + pd.Timedelta(days=N_ROWS - 1)
    assert list(fc.index) == [last + pd.Timedelta(days=1), last + pd.Timedelta(days=2)]
    assert np.all(fc["lower"] <= fc["forecast"]) and np.all(fc["forecast"] <= fc["upper"])


def test_forecast_run_writes_cv_results_with_persistence_on_the_same_folds(tiny_run):
    *_, out_dir, _ = tiny_run
    table = pd.read_csv(out_dir / "cv_results.csv")
    assert list(table["model"]) == ["LSTMForecaster", "persistence"]
    folds = [f"mae_fold_{k}" for k in (1, 2)]
    np.testing.assert_allclose(table["mae_mean"], table[folds].mean(axis=1))
    # persistence recomputed here by hand: y at t+1, t+2 predicted by y at t
    X, y = make_supervised(_frame().drop(columns=["date", "label"]), "y", horizon=2)
    expected = [
        mean_absolute_error(y.iloc[test], np.repeat(X["y"].to_numpy()[test, None], 2, axis=1))
        for _, test in TimeSeriesSplit(n_splits=2).split(X)
    ]
    persistence = table.set_index("model").loc["persistence"]
    np.testing.assert_allclose(persistence[folds].astype(float), expected)
    lstm = table.set_index("model").loc["LSTMForecaster"]
    assert lstm["mae_vs_persistence"] == pytest.approx(
        lstm["mae_mean"] / persistence["mae_mean"] - 1)


def test_forecast_run_writes_out_of_fold_predictions_as_scored(tiny_run):
    *_, out_dir, _ = tiny_run
    oof = pd.read_csv(out_dir / "cv_predictions.csv", index_col="date", parse_dates=["date"])
    assert list(oof.columns) == ["fold", "y_t+1", "y_t+2"]
    X, y = make_supervised(_frame().set_index("date").drop(columns="label"), "y", horizon=2)
    tests = [test for _, test in TimeSeriesSplit(n_splits=2).split(X)]
    assert len(oof) == sum(map(len, tests))
    # refitting the best parameters per fold reproduces the grid search's scores
    best = pd.read_csv(out_dir / "cv_results.csv").iloc[0]
    for fold, test in enumerate(tests, start=1):
        pred = oof[oof["fold"] == fold][["y_t+1", "y_t+2"]]
        assert mean_absolute_error(y.iloc[test], pred) == pytest.approx(
            best[f"mae_fold_{fold}"], rel=1e-6)


@pytest.mark.parametrize(
    "name", ["forecast.png", "cv_folds.png", "grid_search.png", "training_history.png"])
def test_forecast_run_writes_plots(tiny_run, name):
    *_, out_dir, _ = tiny_run
    image = matplotlib.image.imread(out_dir / name)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300


def test_quiet_run_without_dates_or_target_option(tmp_path):
    # one numeric column and no date column: it is the target, steps are 0, 1, ...
    path = tmp_path / "values.csv"
    _frame()[["y"]].rename(columns={"y": "value"}).to_csv(path, index=False)
    code, stdout, stderr = _run(["forecast", str(path), *TINY, "--quiet",
                                 "--out", str(tmp_path / "out")])
    assert code == 0
    # no progress bar; 12 calibration rows is few, so the interval warns
    assert stderr.startswith("sklstm: warning: the 90% interval is calibrated on only 12 ")
    assert stderr.count("\n") == 1
    assert "data:" not in stdout  # no preamble
    assert "forecast of value for the next 2 step(s)" in stdout
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv", index_col="step")
    assert list(fc.index) == [N_ROWS, N_ROWS + 1]
    assert len(list((tmp_path / "out").glob("*.png"))) == 4


def _bad_date(frame):
    frame.loc[7, "date"] = "31/02/2021x"
    return frame


def _nan_target(frame):
    frame.loc[9, "y"] = np.nan
    return frame


def _text_in_target(frame):
    frame["y"] = frame["y"].astype(object)
    frame.loc[[1, 3], "y"] = ["n/a", "oops"]
    return frame


# (CSV content or None, arguments after it, the error's pattern); CSV is written
# to a temporary file passed as the first argument.
BAD_INPUT = [
    pytest.param("missing", ["--target", "y"], "data file '.*missing.csv' not found",
                 id="missing-file"),
    pytest.param(_frame(), ["--target", "yy"],
                 r"unknown column 'yy' for --target: the columns are \['y', 'x', 'label'\]; "
                 "did you mean 'y'", id="unknown-target"),
    pytest.param(_frame(), ["--target", "y", "--features", "z"],
                 "unknown column 'z' for --features", id="unknown-feature"),
    pytest.param(_frame(), ["--target", "label"],
                 r"--target column 'label' is not numeric \(e.g. 'sun' on data row 1, "
                 r"2021-01-01\); choose among the numeric columns \['y', 'x'\]",
                 id="non-numeric-target"),
    pytest.param(_text_in_target(_frame()), ["--target", "y"],
                 r"--target column 'y' has 2 cell\(s\) that are not finite numbers: 'n/a' "
                 r"\(data row 2, 2021-01-02\), 'oops' \(data row 4, 2021-01-04\); fix",
                 id="text-cells-in-target"),
    pytest.param(_text_in_target(_frame())[["y"]], [],
                 r"--target column 'y' has 2 cell\(s\) .* 'n/a' \(data row 2\), 'oops'",
                 id="text-cells-in-the-only-numeric-column"),
    pytest.param(_frame()[["label"]], [], r"no column of '.*data.csv' holds numbers to "
                 r"forecast; the columns are \['label'\]", id="no-numeric-column"),
    pytest.param(_frame(), ["--target", "y", "--features", "label"],
                 "--features column 'label' is not numeric", id="non-numeric-feature"),
    pytest.param(_frame(), [], r"--target is required: .*\['y', 'x'\]", id="no-target"),
    pytest.param(_bad_date(_frame()), ["--target", "y"],
                 r"could not parse '31/02/2021x' \(data row 8\) of --date-column 'date' as a "
                 r"date in the format of its first date; pass their format with --date-format",
                 id="unparsable-date"),
    pytest.param(_frame().iloc[[0, 2, 1, 3]], ["--target", "y"],
                 "not in time order .*2021-01-02 after 2021-01-03", id="unsorted-dates"),
    pytest.param(_frame().iloc[[0, 1, 1, 2]], ["--target", "y"],
                 "date column 'date' repeats 2021-01-02; keep one row per time step",
                 id="repeated-dates"),
    pytest.param(_frame().drop(index=5), ["--target", "y"], "have no regular step",
                 id="irregular-dates"),
    pytest.param(_frame(), ["--target", "y", "--date-column", "when"],
                 "unknown column 'when' for --date-column", id="unknown-date-column"),
    pytest.param(_nan_target(_frame()), ["--target", "y"],
                 r"column 'y' has 1 cell\(s\) that are not finite numbers: an empty cell "
                 r"\(data row 10, 2021-01-10\)",
                 id="missing-value"),
    pytest.param(_frame(40), ["--target", "y", "--splits", "5", "--sequence-length", "7", "28",
                              "--horizon", "3"],
                 r"too few rows: 40, but this job needs at least 166 \(the first of --splits 5 "
                 r"TimeSeriesSplit folds trains on the first 28 of 163 framed rows, .* and "
                 r"hold a --sequence-length 28 window; plus --horizon 3 row\(s\) of future "
                 r"targets\); with 40 rows, this runs: sklstm forecast .*data.csv --target y "
                 r"--horizon 3 --sequence-length 7 --splits 5 --coverage 0.8$",
                 id="too-few-rows-for-splits"),
    pytest.param(_frame(40), ["--target", "y", "--splits", "2", "--sequence-length", "3",
                              "--horizon", "1"],
                 r"too few rows: 40, but this job needs at least 87 \(the --coverage 0.9 "
                 r"interval is calibrated on at least 9 held-out rows.*\); with 40 rows, this "
                 r"runs: sklstm forecast .*data.csv --target y --horizon 1 --sequence-length 3 "
                 r"--splits 2 --coverage 0.8$",
                 id="too-few-rows-for-interval"),
    pytest.param(None, ["--target", "weather"], "--target column 'weather' is not numeric",
                 id="embedded-non-numeric-target"),
    pytest.param(None, ["--date-column", "date"], "--date-column applies to a CSV file",
                 id="date-column-without-csv"),
    pytest.param(None, ["--horizon", "0"],
                 "argument --horizon: must be a positive integer, got '0'", id="bad-horizon"),
    pytest.param(None, ["--coverage", "1.5"],
                 r"argument --coverage: must be a number in \(0, 1\), got '1.5'",
                 id="bad-coverage"),
    pytest.param(None, ["--coverage", "0.999999999999"],
                 r"needs at least 9999999999999 \(the --coverage 0.999999999999 interval is "
                 "calibrated on at least 999999999999 held-out rows",
                 id="coverage-too-close-to-1-is-refused-at-once"),
    pytest.param(None, ["--sequence-length"], "argument --sequence-length: expected",
                 id="missing-option-value"),
    pytest.param(_frame(), ["--target", "y", "yy"],
                 "unknown column 'yy' for --target: .*did you mean 'y'", id="panel-unknown-target"),
    pytest.param(_frame(), ["--target", "y", "label"], "--target column 'label' is not numeric",
                 id="panel-non-numeric-target"),
    pytest.param(_frame().assign(k=1.0), ["--target", "y", "k"],
                 r"--target column\(s\) \['k'\] never change, so their error relative to "
                 "persistence .* is undefined", id="panel-constant-target"),
    pytest.param(_frame(), ["--target", "all", "y"],
                 "--target all means every numeric column and stands alone; got --target all y",
                 id="all-with-other-targets"),
    pytest.param(_frame().rename(columns={"x": "all"}), ["--target", "all"],
                 "--target all is ambiguous: the data has a column named 'all'",
                 id="all-is-also-a-column"),
    pytest.param(_frame()[["date", "x", "label"]], ["--target", "all", "--features", "x"],
                 r"--target all: no numeric column of '.*data.csv' is left to forecast besides "
                 r"--features \['x'\]", id="all-leaves-nothing"),
    pytest.param(_frame(), ["--dataset", "us-employment"],
                 r"give DATA.csv or --dataset, not both \(got '.*data.csv' and --dataset "
                 "us-employment", id="data-and-dataset"),
    pytest.param(None, ["--dataset", "us-employment", "--splits", "5", "--sequence-length", "28"],
                 r"too few rows: 120, but this job needs at least \d+ \(the first of --splits 5 "
                 r"TimeSeriesSplit folds .*; with 120 rows, this runs: .* --sequence-length 28 "
                 r"--splits 2",
                 id="embedded-panel-with-long-windows"),
    pytest.param(None, ["--dataset", "us-employment", "--target", "nonfarm", "temp_max"],
                 "unknown column 'temp_max' for --target", id="embedded-panel-unknown-target"),
    pytest.param(None, ["--target", "temp_max", "data.csv"],
                 "--target took 'data.csv' as a column name; put DATA.csv before --target",
                 id="data-file-after-target"),
]


@pytest.mark.parametrize("content, args, message", BAD_INPUT)
def test_bad_input_is_one_line_on_stderr_with_exit_code_2(tmp_path, content, args, message):
    argv = ["forecast"]
    if content is not None:
        path = tmp_path / ("missing.csv" if isinstance(content, str) else "data.csv")
        if not isinstance(content, str):
            content.to_csv(path, index=False)
        argv.append(str(path))
    code, stdout, stderr = _run(argv + args)
    assert code == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("sklstm: error: ")
    assert re.search(message, stderr), stderr


def test_semicolon_separated_csv_is_named(tmp_path):
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False, sep=";")
    code, stdout, stderr = _run(["forecast", str(path), "--target", "y"])
    assert code == 2 and stdout == ""
    assert stderr == (f"sklstm: error: data file {str(path)!r} separates its columns with "
                      "';', not ','; save it as comma-separated CSV\n")


def _read_only_folder(tmp_path):
    """A folder no file can be created in (root ignores modes; /sys refuses even root)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):
        try:
            (candidate / "probe").touch()
        except OSError:
            return candidate
        (candidate / "probe").unlink()
    pytest.skip("no read-only folder on this machine")


def test_read_only_out_is_refused_before_any_fit(csv_path, tmp_path, monkeypatch):
    import sklearn.model_selection

    def no_search(*args, **kwargs):
        raise AssertionError("the search ran before --out was checked")

    monkeypatch.setattr(sklearn.model_selection.GridSearchCV, "fit", no_search)
    out = _read_only_folder(tmp_path)
    code, stdout, stderr = _run(["forecast", str(csv_path), "--target", "y", *TINY,
                                 "--out", str(out)])
    assert code == 2 and stdout == ""
    assert stderr == (f"sklstm: error: cannot write to output directory {str(out)!r}: "
                      "Permission denied; choose another --out\n")


@pytest.mark.parametrize(
    "argv, message", [(["forecst"], "invalid choice: 'forecst'"),
                      ([], "choose a command: forecast")])
def test_unknown_or_no_command_is_one_line_with_exit_code_2(argv, message):
    code, stdout, stderr = _run(argv)
    assert (code, stdout) == (2, "")
    assert stderr.count("\n") == 1 and message in stderr


def test_help_exits_zero_and_lists_options(capsys):
    assert main(["forecast", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--target", "--dataset", "--date-column", "--features", "--horizon",
                   "--sequence-length", "--units", "--splits", "--max-steps", "--out",
                   "--seed", "--quiet", "--n-jobs", "--series", "--season-length",
                   "--coverage"):
        assert option in text


@pytest.mark.parametrize(
    "n_splits, sequence_length, horizon", [(2, 30, 1), (5, None, 7), (3, 2, 4)])
def test_min_rows_is_the_fewest_rows_whose_first_fold_trains(
        n_splits, sequence_length, horizon):
    from sklstm import LSTMForecaster

    coverage = 0.5  # a small calibration need, so the split rule decides
    needed, reason, fix = _min_rows(n_splits, sequence_length, horizon, coverage, 0.1)
    assert "TimeSeriesSplit" in reason and "--splits" in fix

    def first_fold_trains(n_rows):
        """The CLI's first fit: TimeSeriesSplit's first block holds a full window and a fit."""
        series = pd.Series(np.sin(np.arange(n_rows, dtype=float)), name="y")
        X, y = make_supervised(series, target="y", horizon=horizon)
        try:
            train, _ = next(TimeSeriesSplit(n_splits=n_splits).split(X))
        except ValueError:  # too few rows for the folds
            return False
        if len(train) < (sequence_length or 1):
            return False
        model = LSTMForecaster(sequence_length=sequence_length or "auto", units=4, max_steps=1,
                               validation_fraction=0.1)
        try:
            model.fit(X.iloc[train], y.iloc[train])
        except ValueError as error:  # no window left to train on
            assert "to train on" in str(error)
            return False
        return True

    assert first_fold_trains(needed)
    assert not first_fold_trains(needed - 1)


def test_every_row_count_from_min_rows_on_runs_though_the_first_fold_is_not_monotone():
    # TimeSeriesSplit gives the remainder to the first fold: 24 rows give it 8 training
    # rows, 25 only 7; a job accepted at n rows must run at n + 1 too
    from sklstm._recipe import held_out_count

    for n_splits, horizon, length in [(2, 4, None), (3, 7, 12), (5, 1, 3)]:
        needed = _min_rows(n_splits, length, horizon, 0.5, 0.1)[0]
        for n_rows in range(needed, needed + 3 * (n_splits + 1)):
            train, _ = next(TimeSeriesSplit(n_splits=n_splits).split(np.zeros(n_rows - horizon)))
            known = len(train) - (horizon - 1)
            trained = known - held_out_count(known, 0.1) - (horizon - 1)
            assert len(train) >= (length or 1) and trained >= 1, (n_splits, horizon, n_rows)


def test_console_entry_point_exit_code_in_a_subprocess(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "sklstm.cli", "forecast", str(tmp_path / "nope.csv"),
         "--target", "y"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"sklstm: error: data file '{tmp_path / 'nope.csv'}' not found"]


def test_help_version_and_input_errors_load_neither_keras_nor_jax(tmp_path):
    """ARCHITECTURE.md: the CLI imports Keras/JAX only when it is about to fit."""
    short = tmp_path / "short.csv"
    _frame(12).to_csv(short, index=False)
    code = f"""
import contextlib, io, json, sys
from sklstm.cli import main
runs = [["--help"], ["--version"], ["forecast", "--help"], ["forecast", "--horizon", "0"],
        ["forecast", {str(tmp_path / "nope.csv")!r}],
        ["forecast", {str(short)!r}, "--target", "label"],
        ["forecast", {str(short)!r}, "--target", "y"],
        ["forecast", {str(short)!r}, "--target", "y", "x"]]
codes = []
for argv in runs:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        codes.append(main(argv))
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & {{"keras", "jax", "jaxlib", "scikeras"}})
print(json.dumps([codes, heavy]))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120, check=True)
    codes, heavy = json.loads(result.stdout)
    assert codes == [0, 0, 0, 2, 2, 2, 2, 2]  # the last two: too few rows
    assert heavy == []


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
def test_min_rows_for_the_interval_is_the_fewest_predict_interval_accepts(coverage):
    from sklstm._recipe import held_out_count

    needed, reason, fix = _min_rows(1, 1, 1, coverage, 0.1)
    assert "--coverage" in reason and fix == "lower --coverage or add data"
    held = lambda n_rows: held_out_count(n_rows - 1, 0.1)  # noqa: E731  (rows minus the horizon)
    assert math.ceil((held(needed) + 1) * coverage) <= held(needed)
    assert math.ceil((held(needed - 1) + 1) * coverage) > held(needed - 1)


@pytest.mark.parametrize("n, coverage, warns", [
    (1, 0.5, True), (9, 0.9, True), (20, 0.9, True), (40, 0.9, False), (145, 0.9, False),
    (100, 0.5, False)])
def test_few_calibration_rows_warn_with_the_coverage_they_support(n, coverage, warns):
    message = few_rows_warning(n, coverage)
    assert (message is not None) == warns
    if warns:
        supported = math.floor(100 * n / (n + 1))
        assert f"on only {n} held-out row(s), which support coverages up to {supported}%" \
            in message
        # the stated range is where the realised coverage of such intervals falls
        low, high = map(int, re.search(r"between (\d+)% and (\d+)%", message).groups())
        rng = np.random.default_rng(0)
        scores = np.sort(rng.random((20000, n)), axis=1)  # uniform errors: coverage = score
        realised = scores[:, math.ceil((n + 1) * coverage) - 1]
        assert np.mean(realised * 100 < low - 1) < 0.05 < np.mean(realised * 100 < low + 1)
        assert np.mean(realised * 100 > high + 1) < 0.05 < np.mean(realised * 100 > high - 1)


def test_tiny_interval_run_warns_after_its_forecast(tmp_path):
    path = tmp_path / "ten.csv"
    _frame(10)[["y"]].to_csv(path, index=False)
    code, stdout, stderr = _run(["forecast", str(path), "--coverage", "0.5", "--splits", "2",
                                 "--sequence-length", "2", "--units", "4", "--max-steps", "1",
                                 "--horizon", "1", "--quiet", "--out", str(tmp_path / "out")])
    assert code == 0, stderr
    assert stderr == ("sklstm: warning: the 50% interval is calibrated on only 1 held-out "
                      "row(s), which support coverages up to 50%; with so few, its real "
                      "coverage lies between 5% and 95% in 9 cases out of 10, so treat it as "
                      "a rough guide or add data\n")


# --- several targets: a panel ------------------------------------------------


def _panel(n=N_ROWS, n_series=3):
    """Dated series on very different scales, an exogenous column and a text column."""
    t = np.arange(n)
    series = {f"s{k}": np.round(10.0 ** k * (5 + np.sin(t / (4 + k)) + 0.01 * t), 3)
              for k in range(n_series)}
    return pd.DataFrame({
        "date": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        **series, "x": np.round(np.cos(t / 5), 3), "label": ["sun"] * n})


def _ratio(pred, truth, current):
    """Each series' MAE over persistence's, averaged over the series (columns series-major)."""
    n_series = current.shape[1]
    truth = truth.reshape(len(truth), n_series, -1)
    pred = pred.reshape(truth.shape)
    mae = np.abs(pred - truth).mean(axis=(0, 2))
    persistence = np.abs(current[:, :, None] - truth).mean(axis=(0, 2))
    return np.mean(mae / persistence)


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "panel.csv"
    _panel().to_csv(path, index=False)
    out_dir = tmp_path_factory.mktemp("out") / "panel"
    code, stdout, stderr = _run(["forecast", str(path), "--target", "s2", "s0", "s1",
                                 "--features", "x", *TINY, "--out", str(out_dir)])
    return code, stdout, stderr, out_dir


def test_panel_run_reports_scale_free_scores_and_every_series(panel_run):
    code, stdout, stderr, _ = panel_run
    assert code == 0, stderr
    assert "targets:  3 series, one shared network: s2, s0, s1" in stdout
    assert "forecast 2 step(s) ahead from the series and x" in stdout
    assert ("scale-free: each series' MAE and RMSE over persistence's on the same rows, then "
            "the mean over the 3 series; below 1 beats persistence") in stdout
    assert "MAE/persistence" in stdout and "RMSE/persistence" in stdout
    forecast = stdout[stdout.index("forecast of the 3 series for the next 2 step(s):"):]
    header = forecast.splitlines()[1].split()
    assert header == ["s2", "s0", "s1"]  # in --target order
    assert "(every series and step, with its 90% interval, is in forecast.csv)" in stdout
    assert re.search(r"MAE/persistence per series, .*: below 1 on \d of the 3\n"
                     r"  s\d  \d\.\d{3}\n  s\d  \d\.\d{3}\n  s\d  \d\.\d{3}\n", stdout)
    assert "cv_series.csv" in stdout


def test_panel_run_scores_each_series_relative_to_its_own_persistence(panel_run):
    *_, out_dir = panel_run
    table = pd.read_csv(out_dir / "cv_results.csv").set_index("model")
    folds = ["mae_ratio_fold_1", "mae_ratio_fold_2"]
    # per-series persistence scored against itself: exactly 1 in every fold
    np.testing.assert_allclose(table.loc["persistence", folds].astype(float), 1.0)
    # the LSTM's score recomputed by hand from its out-of-fold predictions, which
    # reproduce the grid search's fits: each series counts the same, whatever its scale
    oof = pd.read_csv(out_dir / "cv_predictions.csv", index_col="date", parse_dates=["date"])
    targets = ["s2", "s0", "s1"]
    columns = [f"{s}_t+{k}" for s in targets for k in (1, 2)]
    assert list(oof.columns) == ["fold", *columns]
    frame = _panel().set_index("date").drop(columns="label")
    frame.index = pd.DatetimeIndex(frame.index)
    X, y = make_supervised(frame, targets, horizon=2, features=["x"])
    for fold in (1, 2):
        rows = oof[oof["fold"] == fold]
        expected = _ratio(rows[columns].to_numpy(), y.loc[rows.index].to_numpy(),
                          X.loc[rows.index, targets].to_numpy())
        assert table.loc["LSTMForecaster", f"mae_ratio_fold_{fold}"] == pytest.approx(
            expected, rel=1e-6)
    # sklearn's plain multi-output MAE would be dominated by s2 (100 times s0)
    assert "mae_mean" not in table.columns
    # per series, over all out-of-fold rows: the model's MAE and persistence's
    by_series = pd.read_csv(out_dir / "cv_series.csv", index_col="series")
    assert list(by_series.index) == targets
    for k, name in enumerate(targets):
        truth = y.loc[oof.index, columns[2 * k:2 * k + 2]].to_numpy()
        mae = np.abs(oof[columns[2 * k:2 * k + 2]].to_numpy() - truth).mean()
        persistence = np.abs(X.loc[oof.index, [name]].to_numpy() - truth).mean()
        np.testing.assert_allclose(
            by_series.loc[name], [mae, persistence, mae / persistence], rtol=1e-9)


def test_panel_run_writes_every_series_forecast_long(panel_run):
    *_, out_dir = panel_run
    fc = pd.read_csv(out_dir / "forecast.csv", index_col="date", parse_dates=["date"])
    assert list(fc.columns) == ["series", "forecast", "lower", "upper"]
    assert sorted(fc["series"]) == sorted(["s0", "s1", "s2"] * 2)
    last = pd.Timestamp("2021-01-01") + pd.Timedelta(days=N_ROWS - 1)
    assert sorted(set(fc.index)) == [last + pd.Timedelta(days=1), last + pd.Timedelta(days=2)]
    assert np.all(fc["lower"] <= fc["forecast"]) and np.all(fc["forecast"] <= fc["upper"])
    # each series is forecast on its own scale
    level = fc.groupby("series")["forecast"].mean()
    assert level["s2"] > 10 * level["s1"] > 100 * level["s0"]


def test_panel_run_plots_one_row_per_shown_series(panel_run, tiny_run):
    *_, out_dir = panel_run
    panel = matplotlib.image.imread(out_dir / "forecast.png")
    single = matplotlib.image.imread(tiny_run[3] / "forecast.png")
    assert panel.shape[0] > 1.3 * single.shape[0]  # three rows of plots, not two
    for name in ("cv_folds.png", "grid_search.png", "training_history.png"):
        assert matplotlib.image.imread(out_dir / name).shape[0] > 200


def test_target_all_forecasts_every_numeric_column_but_the_features(tmp_path):
    path = tmp_path / "wide.csv"
    _panel(n_series=7).to_csv(path, index=False)
    code, stdout, stderr = _run(["forecast", str(path), "--target", "all", "--features", "x",
                                 *TINY, "--horizon", "1", "--quiet",
                                 "--out", str(tmp_path / "out")])
    assert code == 0, stderr
    series = [f"s{k}" for k in range(7)]
    assert "the mean over the 7 series" in stdout
    # the printed forecast is cut to the first six series, and says so
    assert "forecast of the first 6 of the 7 series for the next 1 step(s):" in stdout
    assert "  ... 1 more in cv_series.csv" in stdout  # 3 lowest and 3 highest shown
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert list(fc["series"]) == series  # 'x' is a feature, 'label' is text
    oof = pd.read_csv(tmp_path / "out" / "cv_predictions.csv")
    assert list(oof.columns) == ["date", "fold", *[f"{s}_t+1" for s in series]]


def test_a_panel_needs_the_rows_of_one_series_and_runs_on_exactly_that_many(tmp_path):
    # the folds split time and every series is calibrated on the same held-out
    # rows, so _min_rows holds for a panel as for one series: at the fewest rows
    # the splits, the windows and the interval of every series all work
    needed, _, _ = _min_rows(2, 3, 2, 0.9, 0.1)
    path = tmp_path / "short.csv"
    _panel(needed).to_csv(path, index=False)
    args = ["forecast", str(path), "--target", "s0", "s1", *TINY, "--quiet",
            "--out", str(tmp_path / "out")]
    code, stdout, stderr = _run(args)
    assert code == 0, stderr
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert fc[["lower", "upper"]].notna().all().all()
    _panel(needed - 1).to_csv(path, index=False)
    code, _, stderr = _run(args)
    assert code == 2 and f"too few rows: {needed - 1}, but this job needs at least {needed}" \
        in stderr


def test_dataset_defaults_fit_the_embedded_panel(monkeypatch):
    from sklstm import cli

    args = cli._build_parser().parse_args(["forecast", "--dataset", "us-employment"])
    cli._fill_defaults(args)
    assert (args.horizon, args.season_length, args.sequence_length, args.splits) == (
        12, [12], ["auto"], 3)
    # the rows check passes for the 120 months with these defaults
    rows, _, _ = cli._min_rows(args.splits, cli._longest_window(args), args.horizon,
                               args.coverage, 0.1)
    assert rows <= 120
    given = cli._build_parser().parse_args(["forecast", "--horizon", "3"])
    cli._fill_defaults(given)
    assert (given.horizon, given.sequence_length, given.units, given.splits) == (
        3, ["auto"], ["auto"], 5)


# --- long data (--series) --------------------------------------------------------


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(0)
    rows = [(name, step, 10 * (i + 1) + np.sin(step / 2) + rng.normal(0, 0.1))
            for i, name in enumerate(["north", "south", "east"])
            for step in range(3 * i, 40 + 3 * i)]
    path = folder / "long.csv"
    pd.DataFrame(rows, columns=["store", "week", "sales"]).to_csv(path, index=False)
    argv = ["forecast", str(path), "--series", "store", "--date-column", "week",
            "--horizon", "2", "--splits", "2", "--sequence-length", "4", "--units", "4",
            "--max-steps", "3", "--coverage", "0.8", "--out", str(folder / "out"), "--quiet"]
    return _run(argv), folder / "out"


def test_long_run_forecasts_every_series_from_the_long_csv(long_run):
    (code, stdout, stderr), out = long_run
    assert code == 0, stderr
    assert "MAE and RMSE over persistence's" in stdout
    assert "best: sequence_length=4, units=4" in stdout
    fc = pd.read_csv(out / "forecast.csv")
    assert fc.columns.tolist() == ["store", "week", "forecast", "lower", "upper"]
    # integer weeks continue as integers after each series' own end
    assert fc.groupby("store")["week"].apply(list).to_dict() == {
        "east": [46, 47], "north": [40, 41], "south": [43, 44]}
    cv = pd.read_csv(out / "cv_results.csv")
    assert np.isfinite(cv["mae_ratio_mean"]).all()


@pytest.mark.parametrize("ends, index", [((10, 10), "week"), ((10, 12), "step")])
def test_long_forecast_prints_by_time_when_the_series_end_together(ends, index, capsys):
    from types import SimpleNamespace

    from sklstm import cli

    fc = pd.DataFrame({"store": ["a", "a", "b", "b"],
                       "week": [ends[0] + 1, ends[0] + 2, ends[1] + 1, ends[1] + 2],
                       "forecast": [1.0, 2.0, 3.0, 4.0]})
    job = SimpleNamespace(names=["a", "b"], long=True, series="store", time="week")
    cli._print_panel_forecast(fc, job, 2, 0.9)
    table = capsys.readouterr().out.splitlines()
    assert table[2].split() == ["a", "b"] and table[3].split() == [index]
    first = [11, 1.0, 3.0] if index == "week" else [1, 1.0, 3.0]
    assert [float(v) for v in table[4].split()] == first


def test_long_run_plots_the_first_series(long_run):
    (code, stdout, stderr), out = long_run
    import matplotlib.image

    height, width = matplotlib.image.imread(out / "forecast.png").shape[:2]
    assert height > width / 2  # one row per shown series: three rows
    assert "forecast.png" in stdout and "cv_series.csv" in stdout


def test_long_run_fits_candidates_times_folds_plus_one(long_run, monkeypatch):
    from sklstm import LSTMForecaster

    fits = []
    real_fit = LSTMForecaster.fit
    monkeypatch.setattr(LSTMForecaster, "fit",
                        lambda self, X, y, **kw: fits.append(1) or real_fit(self, X, y, **kw))
    (_, _, _), out = long_run
    argv = ["forecast", str(out.parent / "long.csv"), "--series", "store", "--date-column",
            "week", "--horizon", "2", "--splits", "2", "--sequence-length", "4", "--units",
            "4", "5", "--max-steps", "3", "--coverage", "0.8", "--out", str(out.parent / "out2")]
    code, _, stderr = _run(argv)
    assert code == 0, stderr
    assert len(fits) == 2 * 2 + 1
    assert "5/5" in stderr and "6/5" not in stderr  # the bar counts each fit once


@pytest.mark.parametrize("args, message", [
    (["--series", "shop"], "unknown column 'shop' for --series"),
    (["--series", "store"], "long data needs a time column: name it with --date-column"),
])
def test_long_options_errors_are_one_line(tmp_path, args, message):
    path = tmp_path / "long.csv"
    pd.DataFrame({"store": ["a"] * 30, "wk": range(30), "sales": range(30)}).to_csv(path)
    code, _, stderr = _run(["forecast", str(path), *args, "--out", str(tmp_path / "o")])
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1


# --- --future: columns known ahead ------------------------------------------------


def _promotions(n=60, horizon=2, stores=("north", "south")):
    """A long CSV's rows: sales that jump on promotion days, then each store's next
    ``horizon`` days with the sales empty and the planned promotions filled."""
    rng = np.random.default_rng(0)
    rows = []
    for i, store in enumerate(stores):
        promo = (rng.random(n + horizon) < 0.3).astype(float)
        sales = 10 * (i + 1) + 5 * promo + rng.normal(0, 0.2, n + horizon)
        sales[n:] = np.nan
        days = pd.date_range("2024-01-01", periods=n + horizon, freq="D") + pd.Timedelta(days=i)
        rows.append(pd.DataFrame({"store": store, "day": days.strftime("%Y-%m-%d"),
                                  "sales": np.round(sales, 3), "promo": promo}))
    return pd.concat(rows, ignore_index=True)


FUTURE_RUN = ["--horizon", "2", "--splits", "2", "--sequence-length", "4", "--units", "4",
              "--max-steps", "3", "--coverage", "0.8", "--quiet"]


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_future_columns_are_read_over_the_horizon_from_the_rows_after_the_data(
        tmp_path, layout, monkeypatch):
    data = _promotions()
    if layout == "long":
        args = ["--series", "store", "--date-column", "day"]
    else:  # one store, one row per day
        data = data[data["store"] == "north"].drop(columns="store")
        args = ["--target", "sales", "--date-column", "day"]
    data.to_csv(tmp_path / "promo.csv", index=False)
    from sklstm import _forecast

    given, real = [], _forecast.forecast
    monkeypatch.setattr(_forecast, "forecast",
                        lambda *a, **k: given.append(k.get("future")) or real(*a, **k))
    code, stdout, stderr = _run(["forecast", str(tmp_path / "promo.csv"), *args,
                                 "--future", "promo", *FUTURE_RUN, "--out", str(tmp_path / "o")])
    assert code == 0, stderr
    assert "future=['promo']" in stdout  # the next: line's Python call
    # the forecast read the rows after the data: each series' next 2 days and their plan
    ahead = data[data["sales"].isna()]
    np.testing.assert_array_equal(given[-1]["promo"], ahead["promo"])
    fc = pd.read_csv(tmp_path / "o" / "forecast.csv")
    assert sorted(fc["day"]) == sorted(ahead["day"])


@pytest.mark.parametrize("change, args, message", [
    (lambda d: d[d["sales"].notna() | (d["day"] < "2024-03-02")], [],
     ("--future promo: the forecast reads the next --horizon 2 rows after the last 'sales' "
      "value, with the target empty and those columns filled, but series 'north' has 1")),
    (lambda d: d, ["--target", "sales", "--future", "sales"],
     "--future column 'sales' is the --target: its future is what is forecast"),
    (lambda d: d.assign(promo=d["promo"].where(d.index != 61)), [],
     ("--future column 'promo' has 1 cell(s) that are not finite numbers: an empty cell "
      "(data row 62")),
    (lambda d: d, ["--future", "promos"], "unknown column 'promos' for --future"),
    (lambda d: pd.concat([d.iloc[:61], d.iloc[60:]], ignore_index=True), [],
     "--future: series 'north' has more than one row ahead at day=2024-03-01 (data row 62)"),
])
def test_future_errors_are_one_line_before_any_fit(tmp_path, change, args, message):
    change(_promotions()).to_csv(tmp_path / "promo.csv", index=False)
    future = [] if "--future" in args else ["--future", "promo"]
    code, _, stderr = _run(["forecast", str(tmp_path / "promo.csv"), "--series", "store",
                            "--date-column", "day", *future, *args, *FUTURE_RUN,
                            "--out", str(tmp_path / "o")])
    assert code == 2 and message in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1


def test_rows_ahead_without_future_are_empty_targets_with_a_hint(tmp_path):
    _promotions().to_csv(tmp_path / "promo.csv", index=False)
    code, _, stderr = _run(["forecast", str(tmp_path / "promo.csv"), "--series", "store",
                            "--date-column", "day", "--target", "sales", *FUTURE_RUN,
                            "--out", str(tmp_path / "o")])
    assert code == 2 and "--target column 'sales' has 4 cell(s) that are not finite" in stderr
    assert stderr.rstrip().endswith("if they are the steps ahead of a plan, name its columns "
                                    "with --future")


def test_rows_ahead_past_the_horizon_are_never_read_nor_checked(tmp_path):
    # four rows ahead for --horizon 2: the plan of the last two is empty, and never read
    data = _promotions(horizon=4)
    data.loc[data.groupby("store").tail(2).index, "promo"] = np.nan
    data.to_csv(tmp_path / "promo.csv", index=False)
    code, _, stderr = _run(["forecast", str(tmp_path / "promo.csv"), "--series", "store",
                            "--date-column", "day", "--future", "promo", *FUTURE_RUN,
                            "--out", str(tmp_path / "o")])
    assert code == 0, stderr
    fc = pd.read_csv(tmp_path / "o" / "forecast.csv")
    assert len(fc) == 2 * 2  # two stores, the next 2 days


def test_target_all_leaves_out_the_future_columns(tmp_path):
    north = _promotions(stores=("north",))  # 60 days and 2 ahead (sales empty)
    wide = north.rename(columns={"sales": "north"}).drop(columns="store")
    wide["south"] = wide["north"] + 5
    wide.to_csv(tmp_path / "wide.csv", index=False)
    code, stdout, stderr = _run(["forecast", str(tmp_path / "wide.csv"), "--date-column", "day",
                                 "--target", "all", "--future", "promo", *FUTURE_RUN[:-1],
                                 "--out", str(tmp_path / "o")])
    assert code == 0, stderr
    assert "targets:  2 series, one shared network: north, south" in stdout
