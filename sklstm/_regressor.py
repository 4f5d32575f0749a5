"""LSTMRegressor: a SciKeras regressor over windows of the past."""

import difflib
import threading
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
from scikeras.wrappers import KerasRegressor
from sklearn.base import BaseEstimator
from sklearn.utils import RegressorTags
from sklearn.utils.validation import FLOAT_DTYPES, check_array, check_is_fitted, validate_data

from . import _training
from ._backend import enable_compilation_cache
from ._checks import check_fraction, check_numeric, check_positive_int, check_units
from ._model import build_lstm_model

_BUILD_LOCK = threading.RLock()

ROUTING_PREFIXES = ("model", "fit", "compile", "predict", "optimizer", "loss", "metrics", "callbacks")


def validation_size(n_samples, validation_fraction):
    """Rows at the end of the training data held out for early stopping (0 if none fit)."""
    n_val = round(validation_fraction * n_samples)
    return n_val if 1 <= n_val < n_samples else 0


def _check_no_infinity(X, chunk_size=4096):
    """Reject infinite values (NaN is allowed: it marks masked steps)."""
    for start in range(0, len(X), chunk_size):
        if np.isinf(X[start : start + chunk_size]).any():
            raise ValueError(
                "Input X contains infinity; replace or drop infinite values "
                "(NaN is allowed and marks masked time steps)."
            )


class LSTMRegressor(KerasRegressor):
    """LSTM regressor over windows of past time steps, as a scikit-learn estimator.

    A :class:`scikeras.wrappers.KerasRegressor` that builds
    ``NaNMask -> LSTM(units) [-> LSTM ...] -> Dense(n_outputs)``. It takes
    the 3-D output of :class:`SequenceWindower` and skips (masks) the NaN
    steps that pad short histories, so every row gets a prediction.

    Parameters
    ----------
    model : callable, keras.Model or None, default=None
        None builds the LSTM above. A callable is SciKeras's build hook: it is
        called with the arguments it names among ``meta`` (fitted attributes
        such as ``input_shape_`` and ``n_outputs_``), ``compile_kwargs``,
        ``params`` and any ``model__<name>`` parameter routed to it, and
        returns a (compiled or uncompiled) Keras model.

    units : int or tuple of int, default=50
        Size of the LSTM's hidden and cell state; a tuple stacks one LSTM
        layer per entry, e.g. ``(64, 32)``.

    dropout : float, default=0.0
        Fraction of the LSTM inputs dropped while training, in [0, 1).

    epochs : int, default=100
        Maximum number of passes over the training rows.

    batch_size : int, default=32
        Windows per gradient step.

    learning_rate : float, default=0.001
        Step size of the optimizer, when ``optimizer`` is a name or class.

    optimizer : str, keras.optimizers.Optimizer or class, default="adam"
        Keras optimizer; ``optimizer__<name>`` routes more arguments to it.

    loss : str or keras.losses.Loss, default="mse"
        Keras training loss.

    early_stopping : bool, default=True
        Hold out the last ``validation_fraction`` of the training rows (in
        time order, never shuffled in) and stop when their loss has not
        improved by ``tol`` for ``n_iter_no_change`` epochs; the best weights
        are kept.

    validation_fraction : float, default=0.1
        Fraction of the training rows, taken from the end, for early stopping.

    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.

    tol : float, default=0.0
        Minimum improvement of the validation loss that counts.

    shuffle : bool, default=True
        Shuffle the training windows every epoch. Each window carries its own
        history, so shuffling windows does not leak the future.

    callbacks : list of keras.callbacks.Callback or None, default=None
        Keras callbacks, called at the end of every epoch.

    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout and shuffling. With an int, two
        fits in one process give identical predictions on the JAX backend.

    verbose : int, default=0
        0 is silent; 1 shows a progress bar over epochs with the losses.

    warm_start : bool, default=False
        Keep training the existing model on the next ``fit``.

    metrics : list or None, default=None
        Extra Keras metrics, recorded in ``history_`` on non-JAX backends.

    **routed_params : dict
        SciKeras routed parameters, named ``<destination>__<name>`` with a
        destination among ``model``, ``fit``, ``compile``, ``predict``,
        ``optimizer``, ``loss``, ``metrics`` and ``callbacks``.

    Attributes
    ----------
    model_ : keras.Model
        The trained Keras model.

    history_ : dict of str to list of float
        Loss per epoch (``"loss"``, and ``"val_loss"`` with early stopping).

    input_shape_ : tuple of int
        ``(sequence_length, n_features)`` of one training window.

    n_outputs_ : int
        Number of targets (width of the Dense head).

    n_features_in_ : int
        ``X.shape[1]`` seen in fit: the sequence length for 3-D X.

    See Also
    --------
    SequenceWindower : Makes the windows this regressor reads.

    Notes
    -----
    X is ``(n_samples, sequence_length, n_features)``; 2-D X is read as
    univariate sequences ``(n_samples, sequence_length)``. A time step with a
    NaN in any feature is masked; infinite values are rejected.

    On the JAX backend (the default), training runs sklstm's own loop over
    Keras's ``train_step`` with compiled steps shared by all models of one
    architecture, which makes grid searches much faster than ``Model.fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, SequenceWindower
    >>> X = np.sin(np.arange(60.0) / 4).reshape(-1, 1)
    >>> windows = SequenceWindower(sequence_length=5).fit_transform(X)
    >>> reg = LSTMRegressor(units=8, epochs=2, random_state=0).fit(windows, X[:, 0])
    >>> reg.predict(windows).shape
    (60,)
    """

    def __init__(
        self,
        model=None,
        *,
        units=50,
        dropout=0.0,
        epochs=100,
        batch_size=32,
        learning_rate=0.001,
        optimizer="adam",
        loss="mse",
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=0.0,
        shuffle=True,
        callbacks=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        metrics=None,
        **routed_params,
    ):
        self.model = model
        self.units = units
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.loss = loss
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.metrics = metrics
        vars(self).update(routed_params)

    # --- parameters -------------------------------------------------------

    @classmethod
    def _explicit_param_names(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    def _get_param_names(self):
        # explicit parameters plus the routed ones passed as **routed_params
        explicit = self._explicit_param_names()
        extra = [
            k for k in vars(self)
            if not k.startswith("_") and not k.endswith("_") and k not in explicit
        ]
        return sorted([*explicit, *extra])

    def _check_params(self):
        explicit = self._explicit_param_names()
        for name in self._get_param_names():
            if name not in explicit and name.split("__")[0] not in ROUTING_PREFIXES:
                close = difflib.get_close_matches(name, explicit, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"LSTMRegressor got an unknown parameter {name!r}.{hint} "
                    "Routed parameters are named <destination>__<name> with a "
                    f"destination among {', '.join(ROUTING_PREFIXES)}."
                )
        self.units_ = check_units(self.units)
        check_fraction("dropout", self.dropout, fix="e.g. dropout=0.2, or 0 for none")
        check_positive_int("epochs", self.epochs, fix="e.g. epochs=100")
        check_positive_int("batch_size", self.batch_size, fix="e.g. batch_size=32")
        check_positive_int("n_iter_no_change", self.n_iter_no_change, fix="e.g. n_iter_no_change=10")
        check_fraction(
            "validation_fraction", self.validation_fraction, low_inclusive=False,
            fix="e.g. validation_fraction=0.1",
        )
        if not (isinstance(self.learning_rate, (int, float)) and self.learning_rate > 0):
            raise ValueError(
                f"learning_rate must be a positive number, got {self.learning_rate!r}; "
                "e.g. learning_rate=0.001."
            )

    # --- SciKeras hooks ---------------------------------------------------

    def _check_model_param(self):
        if self.model is None:
            return self._build_default_model
        if isinstance(self.model, keras.Model):
            return lambda: self.model
        if callable(self.model):
            return self.model
        raise TypeError(
            f"model must be None, a build function or a keras.Model, got {self.model!r}."
        )

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        routed_lr = "optimizer__learning_rate" in vars(self)
        if isinstance(self.optimizer, (str, type)) and not routed_lr:
            optimizer.learning_rate = float(self.learning_rate)
        return kwargs

    def _build_default_model(self, compile_kwargs):
        sequence_length, n_features = self.input_shape_
        model = build_lstm_model(
            sequence_length=sequence_length,
            n_features=n_features,
            n_outputs=self.n_outputs_,
            units=self.units_,
            dropout=float(self.dropout),
            seed=int(self._random_state),
        )
        model.compile(**compile_kwargs)
        return model

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=True):
        if X is not None:
            check_numeric(X, type(self).__name__)
        if X is None:
            y = check_array(y, ensure_2d=False, dtype=FLOAT_DTYPES, input_name="y")
            return None, y
        # finiteness is checked below in chunks: on NaN-padded window views
        # sklearn's check would build an (n, L, F) boolean array
        params = dict(reset=reset, allow_nd=True, dtype=FLOAT_DTYPES, ensure_all_finite=False)
        try:
            if y is None:
                X = validate_data(self, X, **params)
            else:
                X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, **params)
        except ValueError as exc:
            if not reset and "features, but" in str(exc) and np.ndim(X) == 3:
                raise ValueError(f"{exc} {self._window_shape_message(np.shape(X))}") from None
            raise
        if not reset and self._window_shape(X.shape) != self.input_shape_:
            raise ValueError(self._window_shape_message(X.shape))
        _check_no_infinity(X)
        if X.ndim == 2:
            X = X[:, :, np.newaxis]
        if X.ndim != 3:
            raise ValueError(
                f"X must be 3-D (n_samples, sequence_length, n_features) or 2-D "
                f"univariate sequences, got shape {X.shape}; window it with "
                "SequenceWindower first."
            )
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
            self.X_dtype_, self.X_shape_ = X.dtype, X.shape
            if y is not None:
                self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
                self.target_type_ = "continuous" if y.ndim == 1 else "continuous-multioutput"
                self.y_dtype_, self.y_ndim_ = y.dtype, y.ndim
        if y is not None and not reset and y.ndim != self.y_ndim_:
            raise ValueError(f"y has {y.ndim} dimensions, but fit saw {self.y_ndim_}.")
        return X, y

    @staticmethod
    def _window_shape(shape):
        return tuple(shape[1:]) + ((1,) if len(shape) == 2 else ())

    def _window_shape_message(self, shape):
        return (
            f"X has windows of shape (sequence_length, n_features)="
            f"{self._window_shape(shape)}, but LSTMRegressor was fitted on "
            f"{self.input_shape_}; window new data exactly as the training data "
            "(same sequence_length and features)."
        )

    def _initialize(self, X, y):
        self._check_params()
        enable_compilation_cache()
        return super()._initialize(X, y)

    def _build_keras_model(self):
        # SciKeras seeds the build by setting and popping process-wide state
        # (os.environ, numpy's global seed): one build at a time
        with _BUILD_LOCK:
            if self._random_state is None:
                self._random_state = int(np.random.randint(np.iinfo(np.int32).max))
            return super()._build_keras_model()

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        y = y.reshape(len(y), -1)
        n_val = validation_size(len(X), self.validation_fraction) if self.early_stopping else 0
        n_train = len(X) - n_val
        validation = (X[n_train:], y[n_train:]) if n_val else None
        if sample_weight is not None:
            sample_weight = sample_weight[:n_train]
        if _training.uses_jax_engine():
            history = _training.fit_jax(
                self.model_, X[:n_train], y[:n_train],
                sample_weight=sample_weight,
                epochs=epochs,
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                seed=int(self._random_state) + initial_epoch + 1,
                validation=validation,
                n_iter_no_change=self.n_iter_no_change,
                tol=self.tol,
                verbose=self.verbose,
                callbacks=self._fit_callbacks,
            )
        else:
            history = self._fit_with_keras(X, y, n_val, sample_weight, epochs)
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, values in history.items():
            self.history_[key] += values

    def _fit_with_keras(self, X, y, n_val, sample_weight, epochs):
        callbacks = list(self._fit_callbacks or [])
        if n_val:
            callbacks.append(keras.callbacks.EarlyStopping(
                patience=self.n_iter_no_change, min_delta=self.tol,
                restore_best_weights=True,
            ))
        keras.utils.set_random_seed(int(self._random_state))
        n_train = len(X) - n_val
        fit = self.model_.fit(
            X[:n_train].astype(np.float32), y[:n_train],
            validation_data=(X[n_train:].astype(np.float32), y[n_train:]) if n_val else None,
            sample_weight=sample_weight, epochs=epochs, batch_size=self.batch_size,
            shuffle=self.shuffle, callbacks=callbacks, verbose=self.verbose,
        )
        return fit.history

    # --- public API -------------------------------------------------------

    @contextmanager
    def _all_or_nothing(self):
        """Restore the previous fitted state if fitting raises or is interrupted."""
        before = dict(vars(self))
        try:
            yield
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the model and train it on windows ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, sequence_length, n_features)
            Windows of the past, e.g. from :class:`SequenceWindower`; NaN
            steps are masked. 2-D X is read as univariate sequences.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; 2-D y trains one Dense head with ``n_outputs`` units.

        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights of the training loss.

        **kwargs : dict
            Passed to SciKeras's ``fit`` (``epochs``, ``initial_epoch``).

        Returns
        -------
        self : LSTMRegressor
            The fitted regressor.
        """
        if y is None:
            raise ValueError(
                "LSTMRegressor requires y to be passed, but the target y is None; "
                "pass the values to forecast, e.g. from make_supervised."
            )
        with self._all_or_nothing():
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train one more epoch, building the model on the first call."""
        with self._all_or_nothing():
            return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)

    def predict(self, X):
        """Predict one value (or ``n_outputs`` values) per window.

        Parameters
        ----------
        X : array-like of shape (n_samples, sequence_length, n_features)
            Windows shaped like the training windows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped like the training ``y``.
        """
        check_is_fitted(self, "model_")
        X, _ = self._validate_data(X)
        if _training.uses_jax_engine():
            y_pred = _training.predict_jax(self.model_, X)
        else:
            y_pred = self.model_.predict(X.astype(np.float32), batch_size=1024, verbose=0)
        return self.target_encoder_.inverse_transform(y_pred).astype(np.float64)

    __repr__ = BaseEstimator.__repr__  # sklearn's compact repr, not SciKeras's

    def __sklearn_tags__(self):
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "regressor"
        # a few epochs on the checks' tiny data need not reach R^2 > 0.5
        tags.regressor_tags = RegressorTags(poor_score=True)
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.non_deterministic = keras.backend.backend() != "jax"
        return tags
