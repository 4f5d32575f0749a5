"""The data side of panels: make_supervised with many targets, long <-> wide, the dataset.

Every expected table is written out by hand from the input table above it.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklstm import long_to_wide, make_supervised, wide_to_long
from sklstm.datasets import US_EMPLOYMENT_INDUSTRIES, load_us_employment

NaN = np.nan


@pytest.fixture
def panel():
    """Two series (b starts late, a stops early) and a shared calendar column."""
    return pd.DataFrame(
        {
            "month": [1.0, 2.0, 3.0, 4.0, 5.0],
            "a": [1.0, 2.0, 3.0, 4.0, NaN],
            "b": [NaN, 20.0, 30.0, 40.0, 50.0],
        },
        index=pd.date_range("2020-01-01", periods=5, freq="MS", name="date"),
    )


# --- make_supervised with a list of targets -------------------------------------


def test_two_series_horizon_1(panel):
    X, y = make_supervised(panel, ["a", "b"])
    # targets first, in the order given, then the other numeric columns
    assert list(X.columns) == ["a", "b", "month"]
    np.testing.assert_array_equal(X, np.array(
        [[1, NaN, 1], [2, 20, 2], [3, 30, 3], [4, 40, 4]]))
    assert list(y.columns) == ["a_t+1", "b_t+1"]
    np.testing.assert_array_equal(y, np.array(
        [[2, 20], [3, 30], [4, 40], [NaN, 50]]))
    assert X.index.equals(panel.index[:4]) and y.index.equals(X.index)


def test_two_series_horizon_2_is_series_major(panel):
    X, y = make_supervised(panel, ["b", "a"], horizon=2)
    assert list(X.columns) == ["b", "a", "month"]
    assert list(y.columns) == ["b_t+1", "b_t+2", "a_t+1", "a_t+2"]
    np.testing.assert_array_equal(y, np.array(
        [[20, 30, 2, 3], [30, 40, 3, 4], [40, 50, 4, NaN]]))
    np.testing.assert_array_equal(X, np.array(
        [[NaN, 1, 1], [20, 2, 2], [30, 3, 3]]))


@pytest.mark.parametrize("features, columns", [
    (["month"], ["a", "b", "month"]),           # targets are always in X, first
    (["month", "b"], ["a", "b", "month"]),      # a listed target is not repeated
    (["b", "a"], ["a", "b"]),                   # no exogenous column
])
def test_features_follow_the_targets(panel, features, columns):
    X, _ = make_supervised(panel, ["a", "b"], features=features)
    assert list(X.columns) == columns


def test_features_none_skips_text_columns(panel):
    X, _ = make_supervised(panel.assign(label="x"), ["b", "a"])
    assert list(X.columns) == ["b", "a", "month"]


def test_one_listed_target_gives_a_frame(panel):
    X, y = make_supervised(panel, ["b"])
    assert isinstance(y, pd.DataFrame) and list(y.columns) == ["b_t+1"]
    assert list(X.columns) == ["b", "month", "a"]


def test_a_single_str_target_keeps_its_rules(panel):
    """One str target: X in data's order, the target in X only if listed, y a Series."""
    X, y = make_supervised(panel, "b")
    assert list(X.columns) == ["month", "a", "b"]
    assert isinstance(y, pd.Series) and y.name == "b_t+1"
    assert y.tolist() == [20.0, 30.0, 40.0, 50.0]
    X, y = make_supervised(panel, "b", horizon=2, features=["month"])
    assert list(X.columns) == ["month"]
    assert list(y.columns) == ["b_t+1", "b_t+2"]


def test_nullable_dtypes_give_nan_targets():
    data = pd.DataFrame({"a": pd.array([1.0, None, 3.0], dtype="Float64"),
                         "b": pd.array([1, 2, None], dtype="Int64")})
    _, y = make_supervised(data, ["a", "b"])
    assert (y.dtypes == "float64").all()
    np.testing.assert_array_equal(y, np.array([[NaN, 2], [3, NaN]]))


def test_the_data_is_not_mutated(panel):
    before = panel.copy()
    X, _ = make_supervised(panel, ["a", "b"])
    X.iloc[:, :] = 0.0
    pd.testing.assert_frame_equal(panel, before)


@pytest.mark.parametrize("kwargs, message", [
    ({"target": ["a", "a"]}, r"target=\['a', 'a'\] lists \['a'\] more than once"),
    ({"target": ["a", "c"]}, r"target=\['a', 'c'\] names \['c'\], not columns of data"),
    ({"target": ["aa"]}, r"Did you mean 'a'\?"),
    ({"target": "c"}, r"target='c' is not a column of data; the columns are \['month', 'a'"),
    ({"target": []}, r"target=\[\] is empty; name the series columns"),
    ({"target": ["a", "label"]}, r"columns \['label'\] are not numeric"),
    ({"target": ["a"], "features": ["month", "month"]}, r"features=.* more than once"),
    ({"target": ["a"], "features": ["rain"]}, r"features=\['rain'\] names \['rain'\], not col"),
])
def test_bad_targets_and_features(panel, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_supervised(panel.assign(label="x"), **kwargs)


# --- long <-> wide ---------------------------------------------------------------


@pytest.fixture
def long():
    """Shuffled long rows: store b starts on day 2, store a stops on day 3."""
    return pd.DataFrame({
        "day": [3, 1, 2, 4, 2, 3],
        "store": ["b", "a", "a", "b", "b", "a"],
        "sales": [11.0, 5.0, 6.0, 12.0, 10.0, 7.0],
    })


def test_long_to_wide_by_hand(long):
    before = long.copy()
    wide = long_to_wide(long, time="day", series="store", value="sales")
    pd.testing.assert_frame_equal(long, before)  # the input is not sorted in place
    expected = pd.DataFrame(
        {"a": [5.0, 6.0, 7.0, NaN], "b": [NaN, 10.0, 11.0, 12.0]},
        index=pd.Index([1, 2, 3, 4], name="day"),
    )
    pd.testing.assert_frame_equal(wide, expected)


def test_wide_to_long_by_hand(long):
    wide = long_to_wide(long, time="day", series="store", value="sales")
    back = wide_to_long(wide, series_name="store", value_name="sales")
    expected = pd.DataFrame({
        "day": [1, 2, 3, 2, 3, 4],
        "store": ["a", "a", "a", "b", "b", "b"],
        "sales": [5.0, 6.0, 7.0, 10.0, 11.0, 12.0],
    })
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert len(wide_to_long(wide, dropna=False)) == 8  # the two NaN cells kept
    assert list(wide_to_long(wide.rename_axis(None)).columns) == ["time", "series", "value"]


def _sorted(frame, by):
    return frame.sort_values(by).reset_index(drop=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=6),
       st.integers(1, 30))
def test_round_trip_with_ragged_series(spans, n_time):
    """Series with random starts and ends (some empty) survive long -> wide -> long."""
    rows = [(t, f"s{k}", float(100 * k + t))
            for k, (start, length) in enumerate(spans)
            for t in range(start, min(start + length, n_time))]
    long = pd.DataFrame(rows, columns=["t", "id", "y"])
    if long.empty:
        return
    wide = long_to_wide(long, time="t", series="id", value="y")
    assert wide.index.is_monotonic_increasing
    assert wide.notna().sum().sum() == len(long)  # every value once, NaN elsewhere
    back = wide_to_long(wide, series_name="id", value_name="y")
    pd.testing.assert_frame_equal(_sorted(back, ["id", "t"]), _sorted(long, ["id", "t"]),
                                  check_dtype=False)
    again = long_to_wide(back, time="t", series="id", value="y")
    pd.testing.assert_frame_equal(again, wide)


def test_long_to_wide_months_get_their_freq():
    months = pd.date_range("2020-01-01", periods=4, freq="MS")
    long = pd.DataFrame({"m": list(months[::-1]) + [months[1]],
                         "s": ["a"] * 4 + ["b"], "v": [4.0, 3.0, 2.0, 1.0, 9.0]})
    wide = long_to_wide(long, time="m", series="s", value="v")
    assert wide.index.freqstr == "MS" and wide["a"].tolist() == [1.0, 2.0, 3.0, 4.0]


def test_long_to_wide_freq_fills_unobserved_times():
    """No series observed February: with freq it becomes a NaN row, not a jump."""
    long = pd.DataFrame({
        "m": pd.to_datetime(["2020-01-01", "2020-03-01", "2020-01-01", "2020-04-01"]),
        "s": ["a", "a", "b", "b"], "v": [1.0, 3.0, 10.0, 40.0]})
    unfilled = long_to_wide(long, time="m", series="s", value="v")
    assert len(unfilled) == 3 and unfilled.index.freq is None
    wide = long_to_wide(long, time="m", series="s", value="v", freq="MS")
    assert wide.index.freqstr == "MS" and wide.index.name == "m"
    np.testing.assert_array_equal(wide, np.array(
        [[1, 10], [NaN, NaN], [3, NaN], [NaN, 40]]))
    off = r"freq='W-SUN': 2 time points are off its grid, e\.g\. \['2020-01-01', '2020-04-01'\]"
    with pytest.raises(ValueError, match=off):
        long_to_wide(long, time="m", series="s", value="v", freq="W-SUN")


def test_long_to_wide_names_repeated_pairs(long):
    doubled = pd.concat([long, long.iloc[[0, 1]].assign(sales=0.0)])
    with pytest.raises(ValueError, match=(
            r"2 \(day, store\) pairs occur more than once, e\.g\. \[\(3, 'b'\), \(1, 'a'\)\]; "
            r".*data\.groupby\(\['day', 'store'\], as_index=False\)\['sales'\]\.mean\(\)")):
        long_to_wide(doubled, time="day", series="store", value="sales")


@pytest.mark.parametrize("kwargs, message", [
    ({"time": "date", "series": "store", "value": "sales"}, r"time='date' is not a column"),
    ({"time": "day", "series": "stor", "value": "sales"}, r"series='stor' .* Did you mean 'store'"),
    ({"time": "day", "series": "store", "value": "y"}, r"value='y' is not a column"),
])
def test_long_to_wide_missing_columns(long, kwargs, message):
    with pytest.raises(ValueError, match=message):
        long_to_wide(long, **kwargs)


@pytest.mark.parametrize("change, kwargs, message", [
    ({"store": ["a", None, "a", "b", "b", "a"]}, {},
     r"1 rows have no 'day' or no 'store' \(NaN\), e\.g\. data row 1; .*dropna"),
    ({}, {"series": "day"}, r"must be three different columns"),
    ({}, {"freq": "D"}, r"freq='D' needs datetimes in time='day', got dtype int64"),
])
def test_long_to_wide_bad_rows_and_options(long, change, kwargs, message):
    with pytest.raises(ValueError, match=message):
        long_to_wide(long.assign(**change),
                     **{"time": "day", "series": "store", "value": "sales", **kwargs})


@pytest.mark.parametrize("kwargs", [
    {"value_name": "a"},                         # a column of the data
    {"series_name": "x", "value_name": "x"},     # the same name twice
    {"series_name": "day"},                      # the name of the time index
])
def test_wide_to_long_name_clash(kwargs):
    wide = pd.DataFrame({"a": [1.0]}, index=pd.Index([0], name="day"))
    with pytest.raises(ValueError, match="must differ from each other"):
        wide_to_long(wide, **kwargs)


def test_not_a_frame():
    with pytest.raises(TypeError, match="data must be a pandas Series or DataFrame, got list"):
        long_to_wide([1, 2], time="t", series="s", value="v")


# --- the dataset -------------------------------------------------------------------


@pytest.fixture(scope="module")
def jobs():
    return load_us_employment()


def test_us_employment_layout(jobs):
    assert jobs.shape == (120, 22)
    assert jobs.index.name == "month" and jobs.index.freqstr == "MS"
    assert (jobs.index[0], jobs.index[-1]) == (pd.Timestamp("2006-01-01"),
                                               pd.Timestamp("2015-12-01"))
    assert (jobs.dtypes == "float64").all() and not jobs.isna().any().any()
    assert "trade_transportation_utilities" in jobs and "nonfarm_change" not in jobs
    assert set(US_EMPLOYMENT_INDUSTRIES) < set(jobs.columns)
    assert len(US_EMPLOYMENT_INDUSTRIES) == len(set(US_EMPLOYMENT_INDUSTRIES)) == 15


def test_us_employment_hierarchy(jobs):
    """The 15 industries add up to nonfarm, and the documented aggregates hold."""
    def gap(total, parts):
        return (jobs[parts].sum(axis=1) - jobs[total]).abs().max()

    rounding = 0.5 + 1e-9  # the source rounds each series on its own
    assert gap("nonfarm", list(US_EMPLOYMENT_INDUSTRIES)) <= rounding
    assert gap("nonfarm", ["private", "government"]) == 0
    assert gap("manufacturing", ["durable_goods", "nondurable_goods"]) == 0
    assert gap("trade_transportation_utilities", [
        "wholesale_trade", "retail_trade", "transportation_and_warehousing", "utilities"]) <= rounding


def test_us_employment_change_column(jobs):
    full = load_us_employment(include_change=True)
    assert list(full.columns) == [*jobs.columns, "nonfarm_change"]
    np.testing.assert_array_equal(full["nonfarm_change"].iloc[1:],
                                  jobs["nonfarm"].diff().iloc[1:])


def test_us_employment_frames_as_a_panel(jobs):
    industries = list(US_EMPLOYMENT_INDUSTRIES)
    X, y = make_supervised(jobs, industries, horizon=12, features=industries)
    assert X.shape == (108, 15) and y.shape == (108, 15 * 12)
    assert y.columns[12] == "construction_t+1"
    assert y["construction_t+12"].iloc[0] == jobs["construction"].iloc[12]
