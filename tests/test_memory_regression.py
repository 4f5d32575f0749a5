"""In-sample and whole-series predictions did not change when the windower gained its memory.

``tests/data/predictions_before_memory.npz`` holds the predictions of the
README pipeline, computed by ``reference_predictions()`` at commit 9b987ca,
before :class:`SequenceWindower` remembered the rows before: those inputs
begin with the fitted rows' own first rows, so the memory must not touch
them. (The file held LSTMForecaster's predictions too, until sklstm 0.3 gave
the forecaster one recipe for every shape; its guarantee, ``predict(X_test)
== predict(X_full)[test]``, is tested in test_one_forecaster.py.)
"""

from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklstm import LSTMRegressor, SequenceWindower, make_supervised
from sklstm.datasets import load_seattle_weather

REFERENCE = Path(__file__).parent / "data" / "predictions_before_memory.npz"
N_TRAIN = 200


def _readme_pipeline():
    pipe = Pipeline([
        ("scale", MinMaxScaler()),
        ("window", SequenceWindower(sequence_length=7)),
        ("lstm", LSTMRegressor(units=4, epochs=3, batch_size=32, random_state=0)),
    ])
    return TransformedTargetRegressor(regressor=pipe, transformer=MinMaxScaler())


def reference_predictions():
    """Fit each model on the first rows, predict the training rows and the whole series."""
    weather = load_seattle_weather().iloc[:300]
    X, y = make_supervised(weather, "temp_max", features=["temp_max", "temp_min"])
    X_train, y_train = X.iloc[:N_TRAIN], y.iloc[:N_TRAIN]
    models = {
        "pipeline_numpy": (_readme_pipeline(), X_train.to_numpy(), y_train.to_numpy(), X.to_numpy()),
        "pipeline_frame": (_readme_pipeline(), X_train, y_train, X),
    }
    out = {}
    for name, (model, X_fit, y_fit, X_all) in models.items():
        model.fit(X_fit, y_fit)
        out[f"{name}_train"] = np.asarray(model.predict(X_fit))
        out[f"{name}_full"] = np.asarray(model.predict(X_all))
    return out


@pytest.fixture(scope="module")
def predictions():
    return reference_predictions()


def test_in_sample_and_whole_series_predictions_are_unchanged(predictions):
    reference = np.load(REFERENCE)
    assert set(reference.files) == set(predictions)
    for name in reference.files:
        np.testing.assert_allclose(predictions[name], reference[name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)
