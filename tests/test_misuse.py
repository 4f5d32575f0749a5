"""Misuse that was silently wrong or confusing (issue 18): each case is now right or refused.

Every test here failed on the code before issue 18. The fixes are rules in
one place each: one time-order rule (``_checks.check_time_order``) and one
placement rule (``_time_index``) for every window, one dtype path
(``_checks.validate_data``), one check that y follows ``target_column``
(``_series.check_targets_follow``) and one check of the scale of the data
(``_checks.check_scales``).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from sklstm import LSTMForecaster, LSTMRegressor, SequenceWindower

TINY = dict(units=3, epochs=2, batch_size=16, random_state=0)
FORECASTER = dict(units=3, max_steps=2, batch_size=16, random_state=0)


@pytest.fixture
def no_runtime_warnings():
    """Turn numpy's RuntimeWarnings into errors inside the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# --- one dtype path ------------------------------------------------------------


def test_float16_input_is_widened_without_overflow_warnings(no_runtime_warnings):
    series = np.sin(np.arange(60.0) / 4).astype(np.float16)
    X, y = series[:-1].reshape(-1, 1), series[1:]
    model = LSTMForecaster(sequence_length=4, **FORECASTER).fit(X, y)
    assert model.predict(X).dtype == np.float64
    windows = SequenceWindower(3).fit_transform(X)
    assert windows.dtype == np.float64
    LSTMRegressor(**TINY).fit(windows, y).predict(windows)


def test_complex_input_is_refused_in_one_line():
    X = np.arange(300.0).reshape(-1, 1) + 1j
    with pytest.raises(ValueError) as error:
        SequenceWindower(3).fit(X)
    message = str(error.value)
    assert "\n" not in message and len(message) < 200
    assert "SequenceWindower takes real numbers" in message and "X.real" in message


def test_nan_in_one_series_is_an_unknown_value_and_its_row_is_named():
    """NaN is an unknown value in every shape (masked in the windows, never trained on as
    a target); a row whose own value is unknown has no forecast, and predict says which."""
    X = pd.DataFrame({"a": np.arange(30.0)}, index=pd.date_range("2024-01-01", periods=30))
    X.iloc[5, 0] = np.nan
    model = LSTMForecaster(sequence_length=3, **FORECASTER).fit(X, np.arange(1.0, 31.0))
    with pytest.warns(UserWarning, match=r"1 row\(s\) of X have no value of target_column "
                                         r"\(NaN\), so their forecasts are NaN: the first at row "
                                         r"5 \(2024-01-06\).*X.ffill\(\)"):
        pred = model.predict(X)
    assert np.isnan(pred[5]) and np.isfinite(np.delete(pred, 5)).all()


def test_a_panel_with_no_known_target_warns_nothing_of_its_own(no_runtime_warnings):
    X = np.column_stack([np.sin(np.arange(40.0)), np.cos(np.arange(40.0))])
    windows = SequenceWindower(3).fit_transform(X)
    with pytest.raises(ValueError, match=r"y has no known \(non-NaN\) target"):
        LSTMRegressor(n_series=2, **TINY).fit(windows, np.full((40, 2), np.nan))


# --- windows and time: one time-order rule, one placement rule --------------------

NAN = np.nan


def _rows(n, index=None):
    """One feature whose value is the row's number, so a window shows what it reads."""
    return pd.DataFrame({"t": np.arange(float(n))}, index=index)


def test_one_row_at_a_time_warns_and_update_moves_the_memory_forward():
    X = np.arange(12.0).reshape(-1, 1)
    windower = SequenceWindower(3).fit(X[:8])
    windower.update(X[8:9]).fit(X[:8])  # update copies X's rows: refit to start again
    np.testing.assert_array_equal(X[:, 0], np.arange(12.0))
    with pytest.warns(UserWarning, match=r"one row.*call update\(rows\)"):
        first = windower.transform(X[8:9])
    np.testing.assert_array_equal(first[:, :, 0], [[6, 7, 8]])
    steps = []
    for t in range(8, 12):  # predict row t, then learn it
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # update said where the row is: no guess left
            steps.append(windower.transform(X[t:t + 1])[0, :, 0]) if t > 8 else None
        windower.update(X[t:t + 1])
    np.testing.assert_array_equal(steps, [[7, 8, 9], [8, 9, 10], [9, 10, 11]])
    whole = SequenceWindower(3).fit_transform(X)
    np.testing.assert_array_equal(windower.last_window_, X[10:])
    np.testing.assert_array_equal(np.asarray(steps), whole[9:, :, 0])


@pytest.fixture(scope="module")
def sine_rows():
    series = np.sin(np.arange(131.0) / 5) + np.arange(131.0) / 50
    return series[:-1].reshape(-1, 1), series[1:]


def test_forecaster_predicts_one_row_at_a_time_with_update(sine_rows):
    X, y = sine_rows
    model = LSTMForecaster(sequence_length=5, **FORECASTER).fit(X[:100], y[:100])
    whole = model.predict(X)  # every row windowed with its real past
    online = []
    for t in range(100, 110):
        if t == 100:  # the first lone row is a guess, and says so
            with pytest.warns(UserWarning, match="one row"):
                online.append(model.predict(X[t:t + 1])[0])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # after an update, nothing is guessed
                online.append(model.predict(X[t:t + 1])[0])
        model.update(X[t:t + 1])
    np.testing.assert_allclose(online, whole[100:110], rtol=1e-5)


def test_update_places_a_dataframe_by_its_labels_and_refuses_rows_it_already_has():
    frame = _rows(10, pd.date_range("2024-01-01", periods=10, freq="D"))
    windower = SequenceWindower(4).fit(frame.iloc[:6])
    windower.update(frame.iloc[7:8])  # 2024-01-08: 01-07 is missing, so it is a gap
    np.testing.assert_array_equal(windower.last_window_[:, 0], [5, 7])
    np.testing.assert_array_equal(windower.transform(frame.iloc[8:9])[0, :, 0], [5, NAN, 7, 8])
    with pytest.raises(ValueError, match=r"update takes the rows after the remembered ones, "
                                         r"but X starts at Timestamp\('2024-01-06"):
        windower.update(frame.iloc[5:6])


def test_a_shuffled_index_is_refused_at_fit_and_transform():
    frame = _rows(40, pd.date_range("2024-01-01", periods=40, freq="D"))
    shuffled = frame.sample(frac=1, random_state=0)
    rule = r"the index of X is not in time order \(row 2: .*\); sort it, e\.g\. X\.sort_index\(\)"
    with pytest.raises(ValueError, match=rule):
        SequenceWindower(3).fit_transform(shuffled)
    with pytest.raises(ValueError, match=rule):
        SequenceWindower(3).fit(frame).transform(shuffled)
    with pytest.raises(ValueError, match=rule):
        LSTMForecaster(sequence_length=3, **FORECASTER).fit(shuffled, shuffled["t"] + 1)
    with pytest.raises(ValueError, match="repeats 2024-01-01"):
        SequenceWindower(3).fit(pd.concat([frame.iloc[:1], frame]))


@pytest.mark.parametrize("index, message", [
    (pd.DatetimeIndex(["2020-01-01", "2020-01-02", None]), "has no time at row 3"),
    (pd.PeriodIndex(["2020-01", None, "2020-03"], freq="M"), "has no time at row 2"),
    (pd.Index([1.0, np.nan, 3.0]), "has no time at row 2"),
    (pd.Index([3, 2, 1], dtype="uint64"), r"is not in time order \(row 2: 2 after 3\)"),
    (pd.Index([1, 2, 2, 3]), "repeats 2"),
])
def test_the_time_order_rule_refuses_missing_times_and_unsigned_steps_back(index, message):
    from sklstm._checks import check_time_order

    with pytest.raises(ValueError, match=message):
        check_time_order(index, "the index of X")


def test_a_test_frame_with_missing_dates_is_windowed_by_its_labels():
    frame = _rows(100, pd.date_range("2024-01-01", periods=100, freq="D"))
    windower = SequenceWindower(5).fit(frame.iloc[:76])
    test = frame.iloc[76:].drop(frame.index[80:83])
    before = test.copy()
    windows = windower.transform(test)[:, :, 0]
    pd.testing.assert_frame_equal(test, before)  # never a mutated user frame
    row_83 = list(test["t"]).index(83.0)
    np.testing.assert_array_equal(windows[row_83], [79, NAN, NAN, NAN, 83])
    np.testing.assert_array_equal(windows[0], [72, 73, 74, 75, 76])  # from the memory
    edge = SequenceWindower(5, padding="edge").fit(frame.iloc[:76]).transform(test)[:, :, 0]
    np.testing.assert_array_equal(edge[row_83], [79, 79, 79, 79, 83])


def test_training_rows_with_a_hole_are_windowed_by_their_labels():
    # KFold's training rows around a held-out block: the rows after the hole
    # do not take the rows before it as their past
    from sklearn.model_selection import KFold

    frame = _rows(30)
    train, test = list(KFold(3).split(frame))[1]  # trains on 0..9 and 20..29
    windows = SequenceWindower(3).fit_transform(frame.iloc[train])[:, :, 0]
    windows[:] = -1.0  # a copy (gathered around the hole), not a view of the data
    np.testing.assert_array_equal(frame["t"], np.arange(30.0))
    windows = SequenceWindower(3).fit_transform(frame.iloc[train])[:, :, 0]
    np.testing.assert_array_equal(windows[10], [NAN, NAN, 20])
    np.testing.assert_array_equal(windows[11], [NAN, 20, 21])
    # the held-out block lies before the remembered rows (28, 29): padded, never them
    fitted = SequenceWindower(3).fit(frame.iloc[train])
    np.testing.assert_array_equal(fitted.transform(frame.iloc[test])[0, :, 0], [NAN, NAN, 10])


def test_tools_that_resample_rows_are_refused_on_frames():
    from sklearn.model_selection import ShuffleSplit, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.linear_model import Ridge

    frame = _rows(40, pd.date_range("2024-01-01", periods=40, freq="D"))
    pipe = make_pipeline(FunctionTransformer(feature_names_out="one-to-one"),
                         SequenceWindower(3, flatten=True, padding="edge"), Ridge())
    pipe.set_output(transform="pandas")
    with pytest.raises(ValueError, match="not in time order"):
        cross_val_score(pipe, frame, frame["t"] + 1, cv=ShuffleSplit(2, random_state=0),
                        error_score="raise")


def test_a_window_longer_than_memory_allows_is_a_clear_error():
    with pytest.raises(ValueError, match=r"sequence_length=1099511627776 is longer than X "
                                         r"\(10 rows\).*GiB.*e\.g\. sequence_length=10"):
        SequenceWindower(2**40).fit_transform(np.arange(10.0).reshape(-1, 1))


# --- panels: y must follow target_column ------------------------------------------

from sklstm import PersistenceRegressor, forecast, make_supervised  # noqa: E402


@pytest.fixture(scope="module")
def two_series():
    t = np.arange(120.0)
    return pd.DataFrame({"a": 10 + np.sin(t / 5), "b": 1000 + 100 * np.cos(t / 7)},
                        index=pd.date_range("2024-01-01", periods=120, freq="D"))


@pytest.mark.parametrize("as_frame, target_column, fix", [
    (False, [1, 0], r"Pass target_column=\[0, 1\]"),
    (True, [1, 0], r"Pass target_column=\[(0, 1|'a', 'b')\]"),
    (True, np.array(["b", "a"]), r"Pass target_column=\['a', 'b'\]"),
    (False, np.array([1, 0]), r"Pass target_column=\[0, 1\]"),
], ids=["positions", "positions-of-a-frame", "array-of-names", "array-of-positions"])
def test_series_out_of_order_are_refused(two_series, as_frame, target_column, fix):
    X, y = make_supervised(two_series, ["a", "b"], horizon=2)
    if not as_frame:
        X, y = X.to_numpy(), y.to_numpy()
    for model in (LSTMForecaster(sequence_length=3, target_column=target_column, **FORECASTER),
                  PersistenceRegressor(target_column=target_column)):
        with pytest.raises(ValueError, match=fix):
            model.fit(X, y)


def test_the_default_target_column_on_another_series_is_refused(two_series):
    X, y = make_supervised(two_series, "b", features=["a", "b"])
    for model in (LSTMForecaster(sequence_length=3, **FORECASTER), PersistenceRegressor()):
        with pytest.raises(ValueError, match=r"y is the next value of X's column 1 \('b'\), "
                                             r"not of target_column=0.*Pass target_column=1"):
            model.fit(X, y)
    PersistenceRegressor(target_column=1).fit(X, y)  # the fix works
    PersistenceRegressor().fit(X, y * 2)  # y that is not X shifted: no claim


def test_forecast_refuses_relabelling_an_array_target_column(two_series):
    X, y = make_supervised(two_series, ["a", "b"], horizon=2)
    model = LSTMForecaster(sequence_length=3, target_column=np.array(["a", "b"]), **FORECASTER)
    model.fit(X, y)
    with pytest.raises(ValueError, match=r"target=\['b', 'a'\] is not the list the estimator "
                                         r"was fitted on, \['a', 'b'\]"):
        forecast(model, two_series, target=["b", "a"])
    out = forecast(model, two_series, target=np.array(["a", "b"]))
    assert list(out.columns) == ["a", "b"]


# --- numbers: one check of the scale of the data -------------------------------------


def _level_series(n=120):
    t = np.arange(float(n))
    return pd.DataFrame({"a": 10 + np.sin(t / 5)},
                        index=pd.date_range("2024-01-01", periods=n, freq="D"))


def test_one_huge_value_in_a_target_is_refused_naming_it():
    data = _level_series()
    data.iloc[50, 0] = 1e308
    X, y = make_supervised(data, "a")
    with pytest.raises(ValueError, match=r"overflows float64 \(values up to 1e\+308\); the "
                                         r"largest is 1e\+308 in row 50 of X.*fix that value"):
        LSTMForecaster(sequence_length=3, **FORECASTER).fit(X, y)


def test_a_series_near_1e_minus_15_is_not_taken_as_constant():
    data = _level_series() * 1e-16  # values near 1e-15, a range of 2e-16
    X, y = make_supervised(data, "a")
    model = LSTMForecaster(sequence_length=3, **FORECASTER).fit(X, y)
    assert np.abs(model.predict(X) - y).max() < 1e-15


# --- make_supervised and long_to_wide: what a column is -----------------------------

from sklstm import long_to_wide  # noqa: E402


@pytest.mark.parametrize("target", ["a", ["a", "b"], "b"])
def test_duplicate_column_names_are_refused(target):
    data = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"data has the column\(s\) \['a'\] more than once"):
        make_supervised(data, target)


def test_a_tuple_that_is_a_multiindex_column_is_one_target():
    columns = pd.MultiIndex.from_tuples([("m", "temp"), ("m", "rain"), ("n", "x")])
    data = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=columns)
    X, y = make_supervised(data, ("m", "temp"))
    assert isinstance(y, pd.Series) and y.tolist() == [3.0, 6.0, 9.0]
    X, y = make_supervised(data, [("m", "temp"), ("n", "x")])  # a list stays a panel
    assert y.shape == (3, 2)


def test_long_to_wide_refuses_text_times_that_sort_as_text():
    long = pd.DataFrame({"day": ["1/9/2024", "1/10/2024", "1/11/2024", "1/9/2024"],
                         "s": ["a", "a", "a", "b"], "v": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match=r"time='day' holds text \(e\.g\. '1/9/2024'\).*"
                                         r"pandas\.to_datetime"):
        long_to_wide(long, time="day", series="s", value="v")
    long["day"] = pd.to_datetime(long["day"], format="%m/%d/%Y")
    wide = long_to_wide(long, time="day", series="s", value="v")
    assert wide["a"].tolist() == [1.0, 2.0, 3.0]


# --- an edited save ---------------------------------------------------------------------


def _edit_save(path, edit):
    """Rewrite estimator.json of a zip save with ``edit`` and redo its checksums."""
    import json
    import zipfile

    from sklstm import _persistence

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    tree = json.loads(members["estimator.json"])
    edit(tree)
    members["estimator.json"] = json.dumps(tree).encode()
    manifest = json.loads(members["manifest.json"])
    manifest["files"] = {name: {"sha256": _persistence._sha256(data), "size": len(data)}
                         for name, data in members.items() if name != "manifest.json"}
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _root(tree):
    return tree.get("estimator", tree)


@pytest.mark.parametrize("make", ["regressor", "forecaster"])
def test_a_save_edited_to_other_units_is_refused(tmp_path, sine_rows, make):
    from sklstm import load_estimator, save_estimator

    X, y = sine_rows
    if make == "regressor":
        windows = SequenceWindower(3).fit_transform(X)
        model = LSTMRegressor(units=4, epochs=1, random_state=0).fit(windows, y)
    else:
        model = LSTMForecaster(sequence_length=3, units=4, max_steps=1, random_state=0).fit(X, y)
    path = save_estimator(model, tmp_path / "m.zip")
    load_estimator(path)  # the save as written loads
    _edit_save(path, lambda tree: _root(tree)["params"].update(units=8))
    with pytest.raises(ValueError, match=r"cannot be trusted: its parameters say units=8, but "
                                         r"its network was fitted with units=4: the file was "
                                         r"edited after it was saved \(or the parameters were "
                                         r"set after fit without a refit\)"):
        load_estimator(path)


def test_a_save_edited_everywhere_but_the_network_is_refused(tmp_path, sine_rows):
    from sklstm import load_estimator, save_estimator

    X, y = sine_rows
    windows = SequenceWindower(3).fit_transform(X)
    path = save_estimator(LSTMRegressor(units=4, epochs=1, random_state=0).fit(windows, y),
                          tmp_path / "m.zip")

    def everywhere(tree):
        root = _root(tree)
        root["params"]["units"] = 8
        root["attributes"]["units_"]["items"] = [8]
        for item in root["attributes"]["_built_with"]["items"]:
            if item[0] == "units":
                item[1] = 8

    _edit_save(path, everywhere)
    with pytest.raises(ValueError, match=r"its parameters say units=8, but its network was "
                                         r"fitted with units=4"):
        load_estimator(path)


# --- the command line --------------------------------------------------------------------

import contextlib  # noqa: E402
import io  # noqa: E402
import shlex  # noqa: E402

from sklstm import cli  # noqa: E402

FAST = ["--units", "4", "--max-steps", "2", "--quiet"]


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _csv(path, n=120, **columns):
    t = np.arange(n)
    frame = pd.DataFrame({**columns, "y": np.round(10 + 3 * np.sin(t / 5), 3)})
    frame.to_csv(path, index=False)
    return path


def _dates(n=120, start="2024-01-01", fmt="%Y-%m-%d", freq="D"):
    return pd.date_range(start, periods=n, freq=freq).strftime(fmt)


def _error(argv):
    code, _, err = _run(argv)
    assert code == 2 and err.count("\n") == 1, err
    return err


def test_cli_splits_1_is_one_line_with_exit_code_2(tmp_path):
    path = _csv(tmp_path / "d.csv", date=_dates())
    assert "argument --splits: must be at least 2" in _error(["forecast", str(path),
                                                              "--splits", "1"])


def test_cli_whole_number_steps_are_steps_not_nanoseconds(tmp_path):
    path = _csv(tmp_path / "d.csv", time=np.arange(120))
    code, _, err = _run(["forecast", str(path), "--horizon", "2", "--sequence-length", "3",
                         "--splits", "2", *FAST, "--out", str(tmp_path / "out")])
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert fc["time"].tolist() == [120, 121]
    frame = cli._parse_dates(pd.DataFrame({"step": [10, 12, 14], "y": [1.0, 2, 3]}), "step")
    assert frame.index.tolist() == [10, 12, 14] and frame.index.name == "step"


def test_cli_day_first_dates_ask_for_their_format_and_read_with_it(tmp_path):
    path = _csv(tmp_path / "d.csv", date=_dates(fmt="%d/%m/%Y"))
    err = _error(["forecast", str(path)])
    assert "could not parse '13/01/2024' (data row 13)" in err
    assert err.strip().endswith("pass --date-format %d/%m/%Y")
    frame = cli._parse_dates(pd.read_csv(path), "date", "%d/%m/%Y")
    assert frame.index[12] == pd.Timestamp("2024-01-13") and frame.index.freqstr == "D"


def test_cli_dates_that_read_both_ways_are_refused(tmp_path):
    # the first of each month, month first: day-first reads the same text as Jan 1..12
    path = _csv(tmp_path / "d.csv", n=12, date=_dates(12, fmt="%m/%d/%Y", freq="MS"))
    err = _error(["forecast", str(path)])
    assert "read both ways: '02/01/2024' is 2024-02-01 or 2024-01-02" in err
    assert "--date-format %m/%d/%Y or --date-format %d/%m/%Y" in err


@pytest.mark.parametrize("freq, expected", [("D", "D"), ("h", "h")])
def test_cli_a_daylight_saving_change_is_read_on_its_regular_step(freq, expected):
    stamps = pd.date_range("2024-03-28", periods=96, freq=freq, tz="Europe/Paris")
    raw = pd.DataFrame({"date": [s.isoformat() for s in stamps], "y": np.arange(96.0)})
    assert raw["date"].str[-6:].nunique() == 2  # +01:00, then +02:00
    frame = cli._parse_dates(raw, "date")
    assert frame.index.freqstr == expected and len(frame) == 96


def test_cli_a_date_column_with_another_name_gets_a_hint(tmp_path):
    path = _csv(tmp_path / "d.csv", n=20, Day=_dates(20))
    code, _, err = _run(["forecast", str(path)])
    assert code == 2  # too few rows, after the hint
    assert ("sklstm: warning: column 'Day' holds dates, but only a column named date, "
            "datetime, time, timestamp or ds is read as dates") in err
    assert "pass --date-column Day" in err


def test_cli_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    _csv(tmp_path / "d.csv", n=20, date=_dates(20))
    assert "too few rows: 20" in _error(["forecast", "~/d.csv"])


def test_cli_reads_thousands_separators_as_numbers(tmp_path):
    path = tmp_path / "d.csv"
    pd.DataFrame({"date": _dates(20), "sales": [f"{1000 + 37 * i:,.1f}" for i in range(20)]}
                 ).to_csv(path, index=False)
    assert '"1,000.0"' in path.read_text()
    assert "too few rows: 20" in _error(["forecast", str(path)])  # not "not numeric"
    np.testing.assert_array_equal(cli._as_numbers(pd.Series(["1,234.5", "-2,000", "7"])),
                                  [1234.5, -2000.0, 7.0])


def test_cli_refuses_a_repeated_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,y,y\n2024-01-01,1,2\n2024-01-02,3,4\n")
    assert ("names the column 'y' more than once (columns 2, 3); rename the copies"
            in _error(["forecast", str(path), "--target", "y"]))


def test_cli_a_one_row_file_is_too_few_rows_not_an_irregular_step(tmp_path):
    path = _csv(tmp_path / "d.csv", n=1, date=_dates(1))
    err = _error(["forecast", str(path)])
    assert "too few rows: 1" in err and "no regular step" not in err
    assert "no job fits in 1 row(s)" in err and "add data" in err


def test_cli_one_huge_value_is_refused_naming_its_row(tmp_path):
    path = tmp_path / "d.csv"
    frame = pd.DataFrame({"date": _dates(), "y": np.sin(np.arange(120.0))})
    frame.loc[50, "y"] = 1e308
    frame.to_csv(path, index=False)
    err = _error(["forecast", str(path)])
    assert "--target column 'y' holds 1e+308 (data row 51, 2024-02-20)" in err
    assert "overflow float64" in err


def test_cli_too_few_rows_prints_one_command_that_runs(tmp_path):
    path = _csv(tmp_path / "d.csv", n=25, date=_dates(25))
    err = _error(["forecast", str(path), "--horizon", "2"])
    assert "--coverage 0.66" in err  # every lever at once (windows of "auto" length shrink)
    command = err.split("this runs: ")[1].strip()
    argv = shlex.split(command)
    assert argv[:3] == ["sklstm", "forecast", str(path)]
    code, _, err = _run([*argv[1:], *FAST, "--out", str(tmp_path / "out")])
    assert code == 0, err
