"""The pipeline of the core issue, end to end with sklearn's model selection."""

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower

GRID = {"regressor__window__sequence_length": [3, 5], "regressor__lstm__units": [4, 8]}


def make_model():
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(sequence_length=5)),
        ("lstm", LSTMRegressor(units=8, epochs=2, batch_size=16, random_state=0)),
    ])
    return TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())


@pytest.fixture(scope="module")
def trending(sine_frame):
    """A sine on a rising level, in large units, so scaling matters."""
    level = 100 + 0.5 * np.arange(len(sine_frame))
    X = np.column_stack([sine_frame["y"] * 10 + level, sine_frame["x"]])
    return X[:-1], X[1:, 0]


@pytest.fixture(scope="module")
def searches(trending):
    X, y = trending
    fitted = {}
    for n_jobs in (1, 2):
        search = GridSearchCV(make_model(), GRID, cv=TimeSeriesSplit(n_splits=5),
                              scoring="neg_mean_absolute_error", n_jobs=n_jobs)
        fitted[n_jobs] = search.fit(X, y)
    return fitted


def test_grid_search_over_sequence_length_and_units(searches, trending):
    X, y = trending
    search = searches[1]
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["regressor__window__sequence_length"] in (3, 5)
    pred = search.predict(X)
    assert pred.shape == y.shape and np.isfinite(pred).all()
    # predictions come back in y's units, not in the scaled [0, 1] range
    assert np.abs(pred.mean() - y.mean()) < 0.5 * y.std()


def test_n_jobs_2_gives_the_same_search_as_n_jobs_1(searches):
    np.testing.assert_allclose(searches[1].cv_results_["mean_test_score"],
                               searches[2].cv_results_["mean_test_score"], rtol=1e-5)
    assert searches[1].best_params_ == searches[2].best_params_


def test_scaler_is_fitted_on_each_folds_training_rows_only(trending):
    X, y = trending
    cv = TimeSeriesSplit(n_splits=3)
    result = cross_validate(make_model(), X, y, cv=cv, return_estimator=True,
                            scoring="neg_mean_absolute_error")
    assert np.isfinite(result["test_score"]).all()
    for (train, test), model in zip(cv.split(X), result["estimator"]):
        scaler = model.regressor_.named_steps["scale"]
        np.testing.assert_array_equal(scaler.data_max_, X[train].max(axis=0))
        # the series rises, so the test rows hold values the scaler never saw
        assert X[test, 0].max() > scaler.data_max_[0]
        np.testing.assert_array_equal(model.transformer_.data_max_, [y[train].max()])
