"""The network's building blocks (sklstm/_model.py)."""

import keras
import numpy as np
import pytest

from sklstm._model import HostInitializer, build_lstm_model


def test_glorot_uniform_stays_in_its_limit_with_the_uniform_spread():
    values = HostInitializer("glorot_uniform", seed=0)((40, 200), "float32")
    limit = np.sqrt(6 / (40 + 200))
    assert values.dtype == np.float32 and values.shape == (40, 200)
    assert np.abs(values).max() <= limit
    np.testing.assert_allclose(values.std(), limit / np.sqrt(3), rtol=0.02)


@pytest.mark.parametrize("shape", [(8, 32), (32, 8), (6, 6)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = HostInitializer("orthogonal", seed=1)(shape, "float64")
    gram = q @ q.T if shape[0] <= shape[1] else q.T @ q
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-12)


def test_lstm_bias_is_one_on_the_forget_gate_only():
    bias = HostInitializer("lstm_bias")((12,), "float32")
    np.testing.assert_array_equal(bias, [0] * 3 + [1] * 3 + [0] * 6)
    np.testing.assert_array_equal(HostInitializer("zeros")((5,)), np.zeros(5))


def test_seeds_decide_the_values():
    draw = lambda seed: HostInitializer("glorot_uniform", seed)((4, 8))  # noqa: E731
    np.testing.assert_array_equal(draw(3), draw(3))
    assert not np.array_equal(draw(3), draw(4))


def test_config_round_trip_and_unknown_distribution():
    initializer = HostInitializer("orthogonal", seed=5)
    restored = keras.initializers.deserialize(keras.initializers.serialize(initializer))
    assert isinstance(restored, HostInitializer) and restored.get_config() == initializer.get_config()
    with pytest.raises(ValueError, match="distribution must be one of .* got 'normal'"):
        HostInitializer("normal")


def test_model_weights_come_from_the_seed():
    def weights(seed):
        model = build_lstm_model(sequence_length=3, n_features=2, n_outputs=1, units=(4,),
                                 dropout=0.0, seed=seed)
        return model.get_weights()

    kernel, recurrent, bias, head, head_bias = weights(0)
    np.testing.assert_array_equal(bias, HostInitializer("lstm_bias")((16,), "float32"))
    np.testing.assert_array_equal(head_bias, 0.0)
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(weights(0), weights(0)))
    assert not np.array_equal(weights(1)[0], kernel)
