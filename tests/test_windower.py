import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

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
