import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import SequenceWindower

NAN = np.nan


def test_alignment_matches_hand_computed_table():
    X = np.array([[0.0, 10.0], [1.0, 11.0], [2.0, 12.0], [3.0, 13.0]])
    out = SequenceWindower(sequence_length=3).fit_transform(X)
    expected = np.array([
        [[NAN, NAN], [NAN, NAN], [0.0, 10.0]],
        [[NAN, NAN], [0.0, 10.0], [1.0, 11.0]],
        [[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]],
        [[1.0, 11.0], [2.0, 12.0], [3.0, 13.0]],
    ])
    np.testing.assert_array_equal(out, expected)


def test_edge_padding_repeats_first_row():
    X = np.arange(3.0).reshape(-1, 1) + 5
    out = SequenceWindower(sequence_length=4, padding="edge").fit_transform(X)
    np.testing.assert_array_equal(out[:, :, 0], [[5, 5, 5, 5], [5, 5, 5, 6], [5, 5, 6, 7]])


@pytest.mark.parametrize("n_samples, sequence_length", [(1, 1), (1, 5), (7, 3), (20, 20)])
def test_one_output_row_per_input_row(n_samples, sequence_length):
    X = np.ones((n_samples, 2))
    out = SequenceWindower(sequence_length).fit_transform(X)
    assert out.shape == (n_samples, sequence_length, 2)
    # padding exactly where the history is short
    n_missing = np.isnan(out[:, :, 0]).sum(axis=1)
    np.testing.assert_array_equal(n_missing, np.maximum(sequence_length - 1 - np.arange(n_samples), 0))


def test_row_t_never_sees_rows_after_t():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    changed = X.copy()
    changed[15:] += 100.0
    w = SequenceWindower(5)
    np.testing.assert_array_equal(w.fit_transform(X)[:15], w.fit_transform(changed)[:15])


def test_3d_output_is_a_view_not_a_copy_per_window():
    X = np.random.default_rng(0).standard_normal((1000, 3))
    out = SequenceWindower(50).fit_transform(X)
    # consecutive windows share memory: one padded copy of X, not 1000 windows
    assert np.shares_memory(out[0], out[1])
    assert not out.flags.writeable


def test_flat_form_names_lagged_features_from_dataframe():
    frame = pd.DataFrame({"temp_max": [1.0, 2.0, 3.0], "wind": [4.0, 5.0, 6.0]})
    w = SequenceWindower(3, flatten=True, padding="edge").fit(frame)
    names = w.get_feature_names_out()
    assert list(names) == [
        "temp_max_t-2", "wind_t-2", "temp_max_t-1", "wind_t-1", "temp_max_t", "wind_t",
    ]
    out = w.transform(frame)
    np.testing.assert_array_equal(out[2], [1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    np.testing.assert_array_equal(w.feature_names_in_, ["temp_max", "wind"])


def test_flat_form_with_pandas_output_and_ridge():
    frame = pd.DataFrame({"a": np.arange(10.0)})
    w = SequenceWindower(2, flatten=True, padding="edge").set_output(transform="pandas")
    out = w.fit_transform(frame)
    assert list(out.columns) == ["a_t-1", "a_t"]
    model = make_pipeline(SequenceWindower(2, flatten=True, padding="edge"), Ridge())
    model.fit(frame, np.arange(10.0) + 1)
    assert np.isfinite(model.predict(frame)).all()


def test_float32_is_preserved():
    X = np.ones((4, 1), dtype=np.float32)
    assert SequenceWindower(2).fit_transform(X).dtype == np.float32


# --- the memory of the rows before ------------------------------------------


def _rows(labels):
    """One feature whose value is the row's position, so a window shows where it reads."""
    return np.asarray(labels, dtype=float).reshape(-1, 1)


def test_rows_that_continue_the_fitted_rows_see_their_end():
    X = _rows(range(6))
    windower = SequenceWindower(3).fit(X[:4])
    np.testing.assert_array_equal(windower.last_window_, [[2.0], [3.0]])
    np.testing.assert_array_equal(windower.transform(X[4:])[:, :, 0], [[2, 3, 4], [3, 4, 5]])
    # without the memory, the first test row is padded as before
    windower.set_params(remember=False)
    np.testing.assert_array_equal(windower.transform(X[4:])[:, :, 0], [[NAN, NAN, 4], [NAN, 4, 5]])


@pytest.mark.parametrize("as_frame", [False, True])
@pytest.mark.parametrize("padding", ["mask", "edge"])
def test_in_sample_and_whole_series_windows_are_unchanged(as_frame, padding):
    X = np.random.default_rng(0).standard_normal((30, 2))
    X = pd.DataFrame(X, index=pd.date_range("2020-01-01", periods=30)) if as_frame else X
    train = X[:20] if not as_frame else X.iloc[:20]
    windower = SequenceWindower(5, padding=padding).fit(train)
    fresh = SequenceWindower(5, padding=padding, remember=False)
    np.testing.assert_array_equal(windower.transform(train), fresh.fit_transform(train))
    np.testing.assert_array_equal(windower.transform(X), fresh.fit_transform(X))


@pytest.mark.parametrize("make_index", [
    lambda n: None,
    lambda n: pd.RangeIndex(100, 100 + n),
    lambda n: pd.Index(np.arange(0, 2 * n, 2)),
    lambda n: pd.date_range("2021-03-01", periods=n, freq="D"),
    lambda n: pd.DatetimeIndex(pd.date_range("2021-03-01", periods=n, freq="MS").to_numpy()),
    lambda n: pd.period_range("2001-01", periods=n, freq="M"),
], ids=["array", "range", "int-step-2", "daily", "monthly-inferred", "period"])
def test_test_rows_get_the_windows_of_the_whole_series(make_index):
    X = np.random.default_rng(1).standard_normal((40, 3))
    index = make_index(40)
    if index is not None:
        X = pd.DataFrame(X, index=index)
    split = 29
    head, tail = (X.iloc[:split], X.iloc[split:]) if index is not None else (X[:split], X[split:])
    windower = SequenceWindower(7).fit(head)
    np.testing.assert_array_equal(windower.transform(tail), windower.transform(X)[split:])
    assert len(windower.last_window_) == 6


def test_timeseriessplit_gap_with_pandas_output_places_rows_by_label():
    # values = row number; 12 training rows, a gap of 6, then the test rows
    X = pd.DataFrame({"t": np.arange(24.0)}, index=pd.date_range("2024-01-01", periods=24))
    train, test = list(TimeSeriesSplit(n_splits=2, test_size=6, gap=6).split(X))[0]
    np.testing.assert_array_equal(train, np.arange(6))
    np.testing.assert_array_equal(test, np.arange(12, 18))
    pipe = make_pipeline(
        FunctionTransformer(feature_names_out="one-to-one"), SequenceWindower(9)
    ).set_output(transform="pandas")
    pipe.fit(X.iloc[train])
    windows = pipe.transform(X.iloc[test])[:, :, 0]
    # test row 12 reads rows 4..12: 4 and 5 from the training rows, 6..11 the gap
    expected = np.array([
        [4, 5, NAN, NAN, NAN, NAN, NAN, NAN, 12],
        [5, NAN, NAN, NAN, NAN, NAN, NAN, 12, 13],
        [NAN, NAN, NAN, NAN, NAN, NAN, 12, 13, 14],
        [NAN, NAN, NAN, NAN, NAN, 12, 13, 14, 15],
        [NAN, NAN, NAN, NAN, 12, 13, 14, 15, 16],
        [NAN, NAN, NAN, 12, 13, 14, 15, 16, 17],
    ])
    np.testing.assert_array_equal(windows, expected)


def test_edge_padding_fills_a_gap_with_the_row_before_it():
    X = pd.DataFrame({"t": np.arange(10.0)})
    windower = SequenceWindower(5, padding="edge").fit(X.iloc[:4])
    out = windower.transform(X.iloc[6:])[:, :, 0]
    # rows 4 and 5 are missing: they repeat row 3
    np.testing.assert_array_equal(out[0], [2, 3, 3, 3, 6])


@pytest.mark.parametrize("index, later_labels, reason", [
    (pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06"]),
     pd.DatetimeIndex(["2020-01-07", "2020-01-09"]), "cannot infer"),
    (pd.Index(["a", "b", "c", "d"]), pd.Index(["e", "f"]), "not time steps"),
    (pd.Index([0, 2, 4, 5]), pd.Index([6, 7]), "integer labels have no regular step"),
])
def test_an_index_it_cannot_place_falls_back_to_positions_with_a_warning(index, later_labels,
                                                                          reason):
    X = pd.DataFrame({"t": np.arange(4.0)}, index=index)
    windower = SequenceWindower(3).fit(X)
    assert windower.last_window_index_ is None
    later = pd.DataFrame({"t": [10.0, 11.0]}, index=later_labels)
    with pytest.warns(UserWarning, match=reason):
        out = windower.transform(later)[:, :, 0]
    np.testing.assert_array_equal(out, [[2, 3, 10], [3, 10, 11]])


def test_labels_of_another_kind_fall_back_with_a_warning_that_says_why():
    X = pd.DataFrame({"t": np.arange(6.0)}, index=pd.date_range("2020-01-01", periods=6))
    windower = SequenceWindower(3).fit(X)
    with pytest.warns(UserWarning, match="int64 labels, the fitted rows dates"):
        windower.transform(pd.DataFrame({"t": [9.0]}, index=[7]))


def test_fresh_default_indexes_are_read_as_positions():
    # what set_output(transform="pandas") makes of arrays: RangeIndex(0, n) each time
    windower = SequenceWindower(3).fit(pd.DataFrame({"t": np.arange(5.0)}))
    out = windower.transform(pd.DataFrame({"t": [5.0, 6.0]}))[:, :, 0]
    np.testing.assert_array_equal(out, [[3, 4, 5], [4, 5, 6]])


def test_memory_holds_at_most_sequence_length_minus_one_rows():
    for n_rows, sequence_length in [(50, 7), (3, 7), (10, 1)]:
        windower = SequenceWindower(sequence_length).fit(np.ones((n_rows, 2)))
        assert windower.last_window_.shape == (min(sequence_length - 1, n_rows), 2)


def test_pickle_and_save_estimator_keep_the_memory(tmp_path):
    from sklstm import load_estimator, save_estimator

    X = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 0.5},
                     index=pd.period_range("2000-01", periods=20, freq="M"))
    windower = SequenceWindower(4).fit(X.iloc[:15])
    expected = windower.transform(X.iloc[15:])
    save_estimator(windower, tmp_path / "w.zip")
    for copy in (pickle.loads(pickle.dumps(windower)), load_estimator(tmp_path / "w.zip")):
        pd.testing.assert_index_equal(copy.last_window_index_, windower.last_window_index_)
        np.testing.assert_array_equal(copy.transform(X.iloc[15:]), expected)


@pytest.mark.parametrize("index", [
    pd.date_range("2020-01-01", periods=9, freq="h", tz="Europe/Paris"),
    pd.RangeIndex(10, 28, 2),
])
def test_save_estimator_keeps_time_zones_and_steps(tmp_path, index):
    from sklstm import load_estimator, save_estimator

    windower = SequenceWindower(4).fit(pd.DataFrame({"a": np.arange(9.0)}, index=index))
    save_estimator(windower, tmp_path / "w")
    loaded = load_estimator(tmp_path / "w").last_window_index_
    pd.testing.assert_index_equal(loaded, windower.last_window_index_)
    if isinstance(index, pd.DatetimeIndex):
        assert loaded.freq == index.freq and str(loaded.tz) == "Europe/Paris"
    else:
        assert loaded.step == 2


def test_pandas_output_keeps_3d_windows_as_arrays_and_frames_the_flat_form():
    X = pd.DataFrame({"a": np.arange(6.0)}, index=pd.date_range("2020-01-01", periods=6))
    windows = SequenceWindower(2).set_output(transform="pandas").fit_transform(X)
    assert isinstance(windows, np.ndarray) and windows.shape == (6, 2, 1)
    flat = SequenceWindower(2, flatten=True).set_output(transform="pandas").fit(X.iloc[:4])
    out = flat.transform(X.iloc[4:])
    pd.testing.assert_index_equal(out.index, X.index[4:])
    assert list(out.columns) == ["a_t-1", "a_t"]
    np.testing.assert_array_equal(out.to_numpy(), [[3, 4], [4, 5]])


def test_unsupported_output_container_is_a_clear_error():
    with pytest.raises(ValueError,
                       match="transform must be one of 'default', 'pandas', 'polars', got 'panda'"):
        SequenceWindower(2).set_output(transform="panda")


def test_missing_values_are_masked_like_padding():
    X = np.array([[0.0, 10.0], [np.nan, 11.0], [2.0, np.nan], [3.0, 13.0]])
    out = SequenceWindower(2).fit_transform(X)
    np.testing.assert_array_equal(out[2], [[NAN, 11.0], [2.0, NAN]])
    # a NaN first row still recognises the fitted rows again
    ragged = np.array([[np.nan, 1.0], [np.nan, 2.0], [5.0, 3.0]])
    windower = SequenceWindower(3).fit(ragged)
    np.testing.assert_array_equal(windower.transform(ragged), windower.fit_transform(ragged))


def test_a_windower_fitted_without_memory_asks_for_a_refit():
    windower = SequenceWindower(3).fit(np.ones((5, 1)))
    del windower.last_window_  # as fitted by sklstm 0.1 and loaded here
    with pytest.raises(ValueError, match="fitted by sklstm 0.1, which did not remember"):
        windower.transform(np.ones((2, 1)))


@pytest.mark.parametrize("index", [
    pd.Index(np.arange(10.0) / 2),  # float labels: no grid
    pd.DatetimeIndex(["2020-12-21", "2020-12-22", "2020-12-23", "2020-12-24", "2020-12-28",
                      "2020-12-29", "2020-12-30", "2020-12-31", "2021-01-04", "2021-01-05"]),
], ids=["float", "business-days-with-holidays"])
def test_ordered_labels_off_a_grid_never_take_later_rows_as_the_past(index):
    X = pd.DataFrame({"t": np.arange(10.0)}, index=index)
    windower = SequenceWindower(3).fit(X.iloc[:8])
    # a slice from inside the fitted rows: padded, not filled with rows 6 and 7
    np.testing.assert_array_equal(windower.transform(X.iloc[3:5])[:, :, 0],
                                  [[NAN, NAN, 3], [NAN, 3, 4]])
    with pytest.warns(UserWarning, match="cannot place X in time"):
        after = windower.transform(X.iloc[8:])[:, :, 0]
    np.testing.assert_array_equal(after, [[6, 7, 8], [7, 8, 9]])


def test_save_estimator_keeps_the_last_label_of_an_ordered_index(tmp_path):
    from sklstm import load_estimator, save_estimator

    X = pd.DataFrame({"t": np.arange(10.0)}, index=pd.Index(np.arange(10.0) / 2))
    windower = SequenceWindower(3).fit(X.iloc[:8])
    loaded = load_estimator(save_estimator(windower, tmp_path / "w.zip"))
    np.testing.assert_array_equal(loaded.transform(X.iloc[3:5]), windower.transform(X.iloc[3:5]))
