"""The Keras network behind LSTMRegressor: mask padding -> LSTM -> Dense."""

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="sklstm")
class NaNMask(layers.Layer):
    """Mask time steps that hold NaN and replace them by zeros.

    SequenceWindower pads short histories with NaN. This layer turns every
    step with a NaN feature into a masked step, which the LSTM layers after it
    skip, and zeros the NaN so no NaN reaches the arithmetic.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return ops.where(ops.isnan(inputs), ops.zeros_like(inputs), inputs)

    def compute_mask(self, inputs, mask=None):
        return ops.logical_not(ops.any(ops.isnan(inputs), axis=-1))

    def compute_output_shape(self, input_shape):
        return input_shape


def build_lstm_model(*, sequence_length, n_features, n_outputs, units, dropout, seed):
    """Build an uncompiled ``NaNMask -> LSTM(units...) -> Dense(n_outputs)`` model.

    Layer names are fixed, so two models of one architecture have the same
    config; sklstm's training engine uses that to reuse compiled steps.

    Parameters
    ----------
    sequence_length, n_features : int
        Input shape of one sample.
    n_outputs : int
        Width of the Dense head (1, or the forecast horizon / target count).
    units : tuple of int
        One LSTM layer per entry; all but the last return sequences.
    dropout : float
        Dropout rate on the inputs of every LSTM layer and before the head.
    seed : int
        Seed for the weight initialisers and dropout masks.
    """
    inputs = keras.Input(shape=(sequence_length, n_features), name="windows")
    x = NaNMask(name="nan_mask")(inputs)
    for i, n_units in enumerate(units):
        x = layers.LSTM(
            n_units,
            dropout=dropout,
            return_sequences=i < len(units) - 1,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 3 * i),
            recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 3 * i + 1),
            seed=seed + 3 * i + 2,
            name=f"lstm_{i}",
        )(x)
    if dropout:
        x = layers.Dropout(dropout, seed=seed + 3 * len(units), name="dropout")(x)
    outputs = layers.Dense(
        n_outputs,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 3 * len(units) + 1),
        name="head",
    )(x)
    return keras.Model(inputs, outputs, name="sklstm_lstm")
