"""Cross-validation scores are honest: test rows are windowed with their real past.

For each fold, scoring the test rows as ``cross_validate`` and
``GridSearchCV`` do (``predict(X_test)``) must give the score of predicting
every row up to the fold's end with the same fitted model and keeping the
test rows, for every window length, with arrays and DataFrames.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMForecaster, LSTMRegressor, SequenceWindower, make_supervised
from sklstm.datasets import load_seattle_weather

LENGTHS = [7, 14, 28, 56]
CV = TimeSeriesSplit(n_splits=5)


def readme_pipeline(pandas_output=False):
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(sequence_length=7)),
        ("lstm", LSTMRegressor(units=2, epochs=1, batch_size=64, random_state=0)),
    ])
    if pandas_output:
        pipe.set_output(transform="pandas")
    return TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())


def forecaster():
    return LSTMForecaster(sequence_length=7, units=2, max_steps=2, batch_size=64, random_state=0)


@pytest.fixture(scope="module")
def seattle():
    weather = load_seattle_weather()
    return make_supervised(weather, "temp_max", features=["temp_max", "temp_min", "wind"])


MODELS = {
    "pipeline-array": (readme_pipeline, "regressor__window__sequence_length", True),
    "pipeline-frame": (readme_pipeline, "regressor__window__sequence_length", False),
    "pipeline-pandas-output": (
        lambda: readme_pipeline(pandas_output=True), "regressor__window__sequence_length", False,
    ),
    "forecaster-array": (forecaster, "sequence_length", True),
    "forecaster-frame": (forecaster, "sequence_length", False),
}


def _rows(data, rows, as_array):
    return data.to_numpy()[rows] if as_array else data.iloc[rows]


@pytest.mark.parametrize("sequence_length", LENGTHS)
@pytest.mark.parametrize("name", list(MODELS))
def test_cv_scores_equal_scores_with_the_whole_past(seattle, name, sequence_length):
    X, y = seattle
    make, length_param, as_array = MODELS[name]
    model = make().set_params(**{length_param: sequence_length})
    Xs, ys = (X.to_numpy(), y.to_numpy()) if as_array else (X, y)
    result = cross_validate(model, Xs, ys, cv=CV, scoring="neg_mean_absolute_error",
                            return_estimator=True)
    for (train, test), fitted, score in zip(CV.split(X), result["estimator"],
                                            result["test_score"]):
        upto = np.arange(test[-1] + 1)
        with_past = fitted.predict(_rows(X, upto, as_array))[test]
        np.testing.assert_allclose(fitted.predict(_rows(X, test, as_array)), with_past,
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(-score, mean_absolute_error(y.to_numpy()[test], with_past),
                                   rtol=1e-6)


def test_grid_search_scores_the_same_folds_as_cross_validate(seattle):
    X, y = seattle
    grid = {"regressor__window__sequence_length": [7, 28]}
    search = GridSearchCV(readme_pipeline(), grid, cv=CV, scoring="neg_mean_absolute_error",
                          refit=False).fit(X, y)
    for i, params in enumerate(search.cv_results_["params"]):
        model = clone(readme_pipeline()).set_params(**params)
        expected = cross_validate(model, X, y, cv=CV, scoring="neg_mean_absolute_error")
        scores = [search.cv_results_[f"split{k}_test_score"][i] for k in range(CV.n_splits)]
        np.testing.assert_allclose(scores, expected["test_score"], rtol=1e-6)


@pytest.mark.parametrize("make", [readme_pipeline, forecaster], ids=["pipeline", "forecaster"])
@pytest.mark.parametrize("as_array", [True, False], ids=["array", "frame"])
def test_predict_test_rows_equals_predict_whole_series(seattle, make, as_array):
    X, y = seattle
    n_train, n_test = 1000, 200
    train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    model = make().fit(_rows(X, train, as_array), _rows(y, train, as_array))
    whole = model.predict(_rows(X, np.arange(n_train + n_test), as_array))
    np.testing.assert_allclose(model.predict(_rows(X, test, as_array)), whole[test],
                               rtol=1e-5, atol=1e-5)
    if isinstance(model, LSTMForecaster):
        return
    # switching the fitted windower's memory off windows the test rows alone
    model.regressor_.set_params(window__remember=False)
    alone = model.predict(_rows(X, test, as_array))
    np.testing.assert_allclose(alone[6:], whole[test][6:], rtol=1e-5, atol=1e-5)
    assert np.abs(alone[:6] - whole[test][:6]).min() > 1e-4
