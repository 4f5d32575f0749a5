"""The Keras network behind LSTMRegressor: mask padding -> LSTM -> Dense."""

import keras
import numpy as np
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


@keras.saving.register_keras_serializable(package="sklstm")
class HostInitializer(keras.initializers.Initializer):
    """Initial weights drawn on the host with NumPy.

    Keras's initializers run as device programs, each compiled for its shape
    the first time a process meets it: about 0.5 s per new architecture, paid
    again by every worker process of a parallel grid search. These draw the
    same distributions with a seeded NumPy generator and compile nothing.

    Parameters
    ----------
    distribution : {"glorot_uniform", "orthogonal", "lstm_bias", "zeros"}
        ``"glorot_uniform"``: uniform in ``±sqrt(6 / (fan_in + fan_out))``.
        ``"orthogonal"``: the orthogonal factor of a Gaussian matrix's QR
        decomposition, as ``keras.initializers.Orthogonal``.
        ``"lstm_bias"``: zeros, except ones for the forget gate (Keras's
        ``unit_forget_bias``); the shape is ``(4 * units,)``.
        ``"zeros"``: zeros.
    seed : int
    """

    DISTRIBUTIONS = ("glorot_uniform", "orthogonal", "lstm_bias", "zeros")

    def __init__(self, distribution, seed=0):
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"HostInitializer distribution must be one of {self.DISTRIBUTIONS}; "
                f"got {distribution!r}."
            )
        self.distribution = distribution
        self.seed = int(seed)

    def __call__(self, shape, dtype=None):
        rng = np.random.default_rng(self.seed)
        dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
        if self.distribution == "glorot_uniform":
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
            limit = np.sqrt(6.0 / (fan_in + shape[-1]))
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "orthogonal":
            n_rows, n_cols = int(np.prod(shape[:-1])), shape[-1]
            q, r = np.linalg.qr(rng.standard_normal((max(n_rows, n_cols), min(n_rows, n_cols))))
            q *= np.sign(np.diag(r))
            values = (q.T if n_rows < n_cols else q).reshape(shape)
        else:
            values = np.zeros(shape)
            if self.distribution == "lstm_bias":
                units = shape[0] // 4
                values[units : 2 * units] = 1.0
        return values.astype(dtype)

    def get_config(self):
        return {"distribution": self.distribution, "seed": self.seed}


@keras.saving.register_keras_serializable(package="sklstm")
class SplitSeriesId(layers.Layer):
    """Split windows into their values and the series number in the last channel."""

    def call(self, inputs):
        return inputs[:, :, :-1], inputs[:, -1, -1]

    def compute_output_shape(self, input_shape):
        return (*input_shape[:2], input_shape[2] - 1), (input_shape[0],)


@keras.saving.register_keras_serializable(package="sklstm")
class TargetLags(layers.Layer):
    """The last ``window`` steps of one feature of the input windows.

    Padding steps (NaN) are replaced by the newest step's value, and that by
    0 when it is unknown too (a panel's series before it starts), so the
    linear highway after this layer never sees NaN.
    """

    def __init__(self, index, window, **kwargs):
        super().__init__(**kwargs)
        self.index = int(index)
        self.window = int(window)

    def call(self, inputs):
        lags = inputs[:, -self.window:, self.index]
        newest = lags[:, -1:]
        newest = ops.where(ops.isnan(newest), ops.zeros_like(newest), newest)
        return ops.where(ops.isnan(lags), newest, lags)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.window)

    def get_config(self):
        return {**super().get_config(), "index": self.index, "window": self.window}


def naive_kernel(sequence_length, n_outputs, season_length=1):
    """Weights of a linear map from the lags to the (seasonal) naive forecast.

    Output step ``k`` copies the value one season before it
    (``season_length=1``: the newest value, persistence); a window shorter
    than one season falls back to persistence.
    """
    kernel = np.zeros((sequence_length, n_outputs), dtype="float32")
    season = season_length if season_length <= sequence_length else 1
    steps = np.arange(n_outputs)
    kernel[sequence_length - season + steps % season, steps] = 1.0
    return kernel


def build_lstm_model(*, sequence_length, n_features, n_outputs, units, dropout, seed,
                     n_series=None, series_embedding=0, highway=None, highway_feature=0,
                     head_initializer="glorot_uniform"):
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
    n_series, series_embedding : int or None, int
        With ``series_embedding > 0``, the last input channel holds the
        series number (of ``n_series``), whose learned vector of that size
        joins the LSTM's output before the head.
    highway : int or None
        None for none; an int ``m`` adds a linear skip path from the first
        feature's lags to the output (LSTNet's highway, Lai et al. 2018),
        starting as the seasonal naive forecast of season ``m`` (1: the
        last value), so training starts from a strong baseline and learns
        a correction.
    highway_feature : int
        The feature whose lags the highway reads.
    head_initializer : {"glorot_uniform", "zeros"}
        Initial weights of the Dense head. "zeros" starts the network at
        a constant output (its bias, 0): for a network that learns a
        correction to another forecast, training then starts from that
        forecast rather than from noise added to it.
    """
    inputs = keras.Input(shape=(sequence_length, n_features), name="windows")
    values = inputs
    if series_embedding:
        values, series_id = SplitSeriesId(name="split_series_id")(inputs)
        embedded = layers.Embedding(
            n_series, series_embedding,
            embeddings_initializer=HostInitializer("glorot_uniform", seed + 1000),
            name="series_embedding",
        )(series_id)
    x = NaNMask(name="nan_mask")(values)
    for i, n_units in enumerate(units):
        x = layers.LSTM(
            n_units,
            dropout=dropout,
            return_sequences=i < len(units) - 1,
            kernel_initializer=HostInitializer("glorot_uniform", seed + 3 * i),
            recurrent_initializer=HostInitializer("orthogonal", seed + 3 * i + 1),
            bias_initializer=HostInitializer("lstm_bias"),
            unit_forget_bias=False,  # the forget-gate ones are in lstm_bias
            seed=seed + 3 * i + 2,
            name=f"lstm_{i}",
        )(x)
    if dropout:
        x = layers.Dropout(dropout, seed=seed + 3 * len(units), name="dropout")(x)
    if series_embedding:
        x = layers.Concatenate(name="lstm_and_series")([x, embedded])
    outputs = layers.Dense(
        n_outputs,
        kernel_initializer=HostInitializer(head_initializer, seed + 3 * len(units) + 1),
        bias_initializer=HostInitializer("zeros"),
        name="head",
    )(x)
    if highway is None:
        return keras.Model(inputs, outputs, name="sklstm_lstm")
    lags = TargetLags(highway_feature, sequence_length, name="target_lags")(values)
    linear = layers.Dense(
        n_outputs,
        kernel_initializer=HostInitializer("zeros"),
        bias_initializer=HostInitializer("zeros"),
        name="highway",
    )(lags)
    outputs = layers.Add(name="lstm_plus_highway")([outputs, linear])
    model = keras.Model(inputs, outputs, name="sklstm_lstm_highway")
    model.get_layer("highway").kernel.assign(naive_kernel(sequence_length, n_outputs, highway))
    return model
