"""LSTMRegressor: a SciKeras regressor over windows of the past."""

import numbers
import threading
import warnings
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
from scikeras.wrappers import KerasRegressor
from sklearn.base import BaseEstimator
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import RegressorTags
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    check_array,
    check_is_fitted,
    validate_data,
)

from . import _training
from ._backend import enable_compilation_cache
from ._checks import (
    BOOLEAN, CALLABLE, NONE, RANDOM_STATE, UNITS, InstanceOf, Interval, as_units,
    check_numeric, check_sample_weight, unknown_parameter_error, validate_params,
    validation_size,
)
from ._model import build_lstm_model
from ._series import (
    check_panel_shapes,
    check_panel_y,
    known_targets,
    known_targets_r2,
    network_shape,
    stack_series,
    stack_targets,
    unstack_predictions,
)
from ._state import PlainState

_BUILD_LOCK = threading.RLock()

ROUTING_PREFIXES = ("model", "fit", "compile", "predict", "optimizer", "loss", "metrics", "callbacks")

# What each routed destination honours: None is any name, a set lists the
# names; a destination absent here (``predict``) honours none. sklstm's own
# training loop and predict take no Keras ``fit``/``predict`` arguments, so
# routing one there would be accepted and ignored.
HONOURED_ROUTES = {
    "model": None,  # the build function's own arguments (checked when it is called)
    "optimizer": None,
    "loss": None,
    "metrics": None,
    "callbacks": None,
    "compile": {"optimizer", "loss", "metrics", "loss_weights"},
    "fit": {"callbacks", "epochs"},
}

# Parameters the network is built from: a warm start keeps the network, so
# it cannot honour a change of these (the routed model__, compile__,
# optimizer__, loss__ and metrics__ parameters are included too).
ARCHITECTURE_PARAMS = (
    "model", "units", "dropout", "optimizer", "loss", "metrics", "n_series", "series_embedding",
    "highway",
)
_ARCHITECTURE_ROUTES = ("model", "compile", "optimizer", "loss", "metrics")


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_no_infinity(X, chunk_size=4096):
    """Reject values the float32 network would see as infinite (NaN marks masked steps)."""
    for start in range(0, len(X), chunk_size):
        chunk = X[start : start + chunk_size]
        if np.isinf(chunk).any():
            raise ValueError(
                "Input X contains infinity; replace or drop infinite values "
                "(NaN is allowed and marks masked time steps)."
            )
        if (np.abs(chunk) > _FLOAT32_MAX).any():
            raise ValueError(
                f"Input X contains values beyond float32's range (|x| > {_FLOAT32_MAX:.3g}), "
                f"up to {np.nanmax(np.abs(chunk)):.3g}; the network computes in float32, "
                "where they are infinite. Scale X first, e.g. with MinMaxScaler."
            )


def _same(a, b):
    """Whether two parameter values are equal (arrays and odd ``==`` count as different)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


@contextmanager
def all_or_nothing(estimator):
    """Restore ``estimator``'s previous state if the block raises or is interrupted.

    The attributes are restored, not objects mutated in place (a Keras
    model's weights are put back by the training loop itself).
    """
    before = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(before)
        raise


class LSTMRegressor(PlainState, KerasRegressor):
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
        sklstm's training loop on JAX records only the loss, so it refuses
        metrics rather than ignore them; score with scikit-learn instead.

    n_series : int or None, default=None
        Many series, one network. None: one window per row, as usual. An
        int ``k``: the first ``k`` window features are ``k`` series (the
        rest are exogenous columns they share) and ``y`` holds one column per
        series and horizon step, series-major (``a_t+1 .. a_t+h, b_t+1 ..``),
        as ``make_supervised(data, target=[...])`` gives. Every series'
        window is then a sample of one shared LSTM (channel-independent),
        and samples with an unknown (NaN) target are left out of the loss.

    series_embedding : int, default=0
        With ``n_series``, the size of a learned vector per series that
        joins the LSTM's output, so the network can tell series apart; 0
        for none (the network then sees every series alike).

    highway : int or None, default=None
        None for none; an int ``m`` adds a linear path from the first
        feature's lags straight to the output, starting as the seasonal
        naive forecast of season ``m`` (1: the last value), beside the LSTM
        (the highway of LSTNet, Lai et al. 2018).

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
        Number of targets (width of y; the Dense head is ``n_outputs_ /
        n_series`` wide with ``n_series``).

    network_input_shape_ : tuple of int
        Shape of one sample of the network: ``input_shape_``, or with
        ``n_series`` ``(sequence_length, 1 + n_shared [+ 1 for the series
        number])``.

    network_n_outputs_ : int
        Width of the network's head.

    n_features_in_ : int
        Values in one window, ``sequence_length * n_features``: the columns
        of the windows' flat form, as ``SequenceWindower(flatten=True)``
        names them (``X.shape[1]`` for 2-D X). A Pipeline's steps then agree:
        the windower's output width is the regressor's input width.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of a DataFrame X (2-D, the flat form) seen in fit.

    units_ : tuple of int
        ``units`` as one size per stacked LSTM layer, e.g. ``(50,)``.

    target_type_ : str
        ``"continuous"`` for 1-D y, ``"continuous-multioutput"`` for 2-D y.

    n_outputs_expected_ : int
        Number of Keras model outputs the target encoder expects (SciKeras's
        check of a custom model; always 1 here).

    target_encoder_ : sklearn transformer
        SciKeras's fitted target encoder: reshapes y for Keras and back.

    feature_encoder_ : sklearn transformer
        SciKeras's fitted feature encoder (the identity).

    X_dtype_, y_dtype_ : numpy.dtype
        dtypes of X and y seen in fit.

    X_shape_ : tuple of int
        Shape of the (3-D) training X.

    y_ndim_ : int
        Number of dimensions of the training y; predict returns the same.

    See Also
    --------
    SequenceWindower : Makes the windows this regressor reads.

    Notes
    -----
    X is ``(n_samples, sequence_length, n_features)``, or its flat form
    ``(n_samples, sequence_length * n_features)``, oldest step first (the
    output of ``SequenceWindower(flatten=True)``): 2-D X in fit is read as
    univariate sequences, and after fit as the fitted windows, flattened.
    A time step with a NaN in any feature is masked; infinite values are
    rejected.

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
        n_series=None,
        series_embedding=0,
        highway=None,
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
        self.n_series = n_series
        self.series_embedding = series_embedding
        self.highway = highway
        vars(self).update(routed_params)
        # which routed names were passed, as skorch records its prefixes:
        # get_params and clone read this, never a scan of vars(self)
        self._routed_names = tuple(sorted(routed_params))

    # --- parameters -------------------------------------------------------

    _parameter_constraints = {
        "model": [NONE, CALLABLE, InstanceOf(keras.Model, "a keras.Model")],
        "units": [UNITS],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None)],
        "batch_size": [Interval(numbers.Integral, 1, None)],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "optimizer": [InstanceOf((str, type, keras.optimizers.Optimizer),
                                 "an optimizer name, class or instance")],
        "loss": [InstanceOf((str, keras.losses.Loss), "a loss name or keras.losses.Loss"),
                 CALLABLE],
        "early_stopping": [BOOLEAN],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None)],
        "tol": [Interval(numbers.Real, 0, None)],
        "shuffle": [BOOLEAN],
        "callbacks": [NONE, InstanceOf((list, tuple, dict, keras.callbacks.Callback),
                                       "a list of keras.callbacks.Callback")],
        "random_state": RANDOM_STATE,
        "verbose": [BOOLEAN, Interval(numbers.Integral, 0, None)],
        "warm_start": [BOOLEAN],
        "metrics": [NONE, InstanceOf((list, tuple, dict, str), "a list of Keras metrics")],
        "n_series": [NONE, Interval(numbers.Integral, 1, None)],
        "series_embedding": [Interval(numbers.Integral, 0, None)],
        "highway": [NONE, Interval(numbers.Integral, 1, None)],
    }
    _parameter_hints = {
        "units": "pass e.g. units=50, or units=(64, 32) for two stacked LSTM layers",
        "dropout": "e.g. dropout=0.2, or 0 for none",
        "random_state": "pass an int seed such as random_state=0, or None",
        "n_series": "the number of series columns, or None for one series",
        "series_embedding": "e.g. series_embedding=4, or 0 for none",
    }

    @classmethod
    def _explicit_param_names(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    def _get_param_names(self):
        # SciKeras scans vars(self); sklstm lists the explicit parameters plus
        # the routed ones recorded as passed
        return sorted([*self._explicit_param_names(), *self._routed_names])

    def _check_routed(self, names, error):
        """Refuse unknown names and routed names nothing would honour."""
        explicit = self._explicit_param_names()
        for name in names:
            destination, _, rest = name.partition("__")
            if not rest or destination not in ROUTING_PREFIXES:
                raise unknown_parameter_error(
                    type(self).__name__, name, explicit, error=error,
                    extra=" Routed parameters are named <destination>__<name> with a "
                          f"destination among {', '.join(ROUTING_PREFIXES)}.",
                )
            honoured = HONOURED_ROUTES.get(destination, set())
            if honoured is not None and rest not in honoured:
                instead = f" Use {rest}=... instead." if rest in explicit else ""
                kept = (f" ({destination}__ takes only {', '.join(sorted(honoured))})"
                        if honoured else "")
                raise error(
                    f"{type(self).__name__} does not use the routed parameter {name!r}: "
                    f"sklstm's own training loop and predict would ignore it{kept}.{instead}"
                )
            if destination == "model" and self.model is None:
                raise error(
                    f"{name!r} is routed to the model build function, but model=None "
                    "builds sklstm's default LSTM, which takes no extra arguments; pass "
                    "model=<your build function>, or use units, dropout and the other "
                    "parameters."
                )

    def _check_params(self):
        """Check every parameter (the table above and the routed names); set nothing."""
        self._check_routed(self._routed_names, TypeError)
        validate_params(self)
        if self.series_embedding and self.n_series is None:
            raise ValueError(
                f"series_embedding={self.series_embedding} needs n_series, the number "
                "of series in the windows; set n_series or series_embedding=0."
            )
        metrics = [n for n in ("metrics", "compile__metrics") if getattr(self, n, None)]
        if metrics and _training.uses_jax_engine():
            raise ValueError(
                f"{metrics[0]}={getattr(self, metrics[0])!r} would be ignored: sklstm's "
                "training loop on the JAX backend records only the loss. Pass "
                f"{metrics[0]}=None and score with scikit-learn (e.g. cross_validate("
                "scoring=...)), or run Keras on another backend."
            )

    def set_params(self, **params):
        """Set parameters, routed ones (``<destination>__<name>``) included.

        Unknown names get the same error (with its "did you mean") as at fit.

        Returns
        -------
        self : LSTMRegressor
            This estimator.
        """
        explicit = self._explicit_param_names()
        routed = [k for k in params if k not in explicit]
        # names passed before are checked at fit, as the constructor's are
        self._check_routed([k for k in routed if k not in self._routed_names], ValueError)
        for name in routed:
            setattr(self, name, params.pop(name))
        self._routed_names = tuple(sorted({*self._routed_names, *routed}))
        return BaseEstimator.set_params(self, **params)

    def _architecture(self):
        """The parameters the network was built from, to compare on a warm start."""
        names = [*ARCHITECTURE_PARAMS,
                 *(n for n in self._routed_names if n.split("__")[0] in _ARCHITECTURE_ROUTES)]
        return {name: getattr(self, name) for name in names}

    # --- SciKeras hooks ---------------------------------------------------

    def _check_model_param(self):
        # model=None means sklstm's default network, which SciKeras does not allow
        if self.model is None:
            return self._build_default_model
        if isinstance(self.model, keras.Model):
            return lambda: self.model
        if callable(self.model):
            return self.model
        raise TypeError(
            f"model must be None, a build function or a keras.Model, got {self.model!r}."
        )

    @property
    def feature_encoder(self):
        # SciKeras's identity encoder, kept out of set_output: under a global
        # transform_output="pandas" or "polars" it would warn on every fit
        return FunctionTransformer().set_output(transform="default")

    def _get_compile_kwargs(self):
        # SciKeras does not know learning_rate: give it to the optimizer it built
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        if self._owns_learning_rate():
            optimizer.learning_rate = float(self.learning_rate)
        return kwargs

    def _owns_learning_rate(self):
        """Whether ``learning_rate`` sets the optimizer's step size (not overridden)."""
        routed = "optimizer__learning_rate" in self._routed_names
        return isinstance(self.optimizer, (str, type)) and not routed

    @staticmethod
    def _validate_sample_weight(X, y, sample_weight):
        # SciKeras takes negative and infinite weights silently: refuse them first
        check_sample_weight(sample_weight, len(X))
        return KerasRegressor._validate_sample_weight(X, y, sample_weight)

    def _build_default_model(self, compile_kwargs):
        sequence_length, n_features = self.network_input_shape_
        model = build_lstm_model(
            sequence_length=sequence_length,
            n_features=n_features,
            n_outputs=self.network_n_outputs_,
            units=as_units(self.units),
            dropout=float(self.dropout),
            seed=int(self._random_state),
            n_series=self.n_series,
            series_embedding=self.series_embedding,
            highway=self.highway,
        )
        model.compile(**compile_kwargs)
        return model

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=True):
        # sklearn's validate_data for 3-D windows with NaN (masked) steps,
        # which SciKeras's own check refuses
        if X is not None:
            check_numeric(X, type(self).__name__)
        if X is None:
            y = check_array(y, ensure_2d=False, dtype=FLOAT_DTYPES, input_name="y")
            return None, y
        if not hasattr(X, "shape"):  # lists, and objects with __array__
            X = np.asarray(X)
        shape = tuple(X.shape)
        if len(shape) > 3:
            raise ValueError(
                f"X must be 3-D (n_samples, sequence_length, n_features) or their flat "
                f"2-D form, got shape {shape}; window it with SequenceWindower first."
            )
        if len(shape) == 3:
            # sklearn validates the flat form (n_samples, sequence_length * n_features),
            # a view of SequenceWindower's windows: n_features_in_ counts the values of
            # a window, the columns SequenceWindower(flatten=True) names
            X = np.asarray(X).reshape(shape[0], shape[1] * shape[2])
        # finiteness is checked below in chunks: on NaN-padded window views
        # sklearn's check would build an (n, L, F) boolean array
        params = dict(reset=reset, dtype=FLOAT_DTYPES, ensure_all_finite=False)
        try:
            if y is None:
                X = validate_data(self, X, **params)
            elif self.n_series is not None:
                # a ragged panel has unknown (NaN) targets, which the loss skips
                X = validate_data(self, X, **params)
                y = check_panel_y(X, y)
            else:
                X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, **params)
        except ValueError as exc:
            if not reset and "features, but" in str(exc) and len(shape) == 3:
                raise ValueError(f"{exc} {self._window_shape_message(shape)}") from None
            raise
        if len(shape) == 3:
            window = tuple(shape[1:])
        else:  # the flat form: univariate sequences at fit, the fitted windows after
            window = (X.shape[1], 1) if reset else self.input_shape_
        if not reset and window != self.input_shape_:
            raise ValueError(self._window_shape_message(shape))
        _check_no_infinity(X)
        if y is not None and np.size(y) and np.nanmax(np.abs(y)) > _FLOAT32_MAX:
            raise ValueError(
                f"y contains values beyond float32's range (|y| > {_FLOAT32_MAX:.3g}), up "
                f"to {np.nanmax(np.abs(y)):.3g}; the network computes in float32. Scale y "
                "first, e.g. TransformedTargetRegressor(transformer=MinMaxScaler())."
            )
        X = X.reshape((len(X), *window))
        if reset:
            self.input_shape_ = window
            self.X_dtype_, self.X_shape_ = X.dtype, X.shape
            if y is not None:
                self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
                self.target_type_ = "continuous" if y.ndim == 1 else "continuous-multioutput"
                self.y_dtype_, self.y_ndim_ = y.dtype, y.ndim
                if self.n_series is not None:
                    check_panel_shapes(self.input_shape_, self.n_outputs_, self.n_series)
                self.network_input_shape_, self.network_n_outputs_ = network_shape(
                    self.input_shape_, self.n_outputs_, self.n_series, self.series_embedding
                )
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
        # SciKeras's hook for a fresh build: check the parameters first
        self._check_params()
        self.units_ = as_units(self.units)
        enable_compilation_cache()
        X, y = super()._initialize(X, y)
        self._built_with = self._architecture()
        return X, y

    def _build_keras_model(self):
        # one build at a time; SciKeras seeds the build by setting and popping process-wide state
        # (os.environ, numpy's global seed): one build at a time
        with _BUILD_LOCK:
            if self._random_state is None:
                self._random_state = int(np.random.randint(np.iinfo(np.int32).max))
            elif isinstance(self.random_state, np.random.RandomState):
                # SciKeras draws randint(low=1), always 0: every RandomState
                # would give the same network. Draw from a copy, as it meant to.
                copy = np.random.RandomState()
                copy.set_state(self.random_state.get_state())
                self._random_state = int(copy.randint(np.iinfo(np.int32).max))
            return super()._build_keras_model()

    def _network_samples(self, X, y=None, sample_weight=None):
        """Rows -> network samples: with n_series, one per row and series, known targets only."""
        if self.n_series is None:
            return X, y, sample_weight
        X = stack_series(X, self.n_series, with_ids=bool(self.series_embedding))
        if y is None:
            return X, None, None
        y = stack_targets(y, self.n_series)
        if sample_weight is not None:
            sample_weight = np.repeat(sample_weight, self.n_series)
        known = known_targets(y)
        if known.all():
            return X, y, sample_weight
        return X[known], y[known], None if sample_weight is None else sample_weight[known]

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # sklstm's training loop (JAX) or Model.fit with early stopping on the
        # last rows, never Keras's shuffled validation_split
        y = y.reshape(len(y), -1)
        # the held-out rows are the last time points (of every series, with n_series)
        n_val = validation_size(len(X), self.validation_fraction) if self.early_stopping else 0
        n_train = len(X) - n_val
        if sample_weight is not None:
            sample_weight = sample_weight[:n_train]
        validation = self._network_samples(X[n_train:], y[n_train:])[:2] if n_val else None
        if validation is not None and not len(validation[0]):
            validation = None  # every held-out target unknown
        X, y, sample_weight = self._network_samples(X[:n_train], y[:n_train], sample_weight)
        if not len(X):
            raise ValueError(
                f"y has no known (non-NaN) target in the {n_train} training row(s) of its "
                f"n_series={self.n_series} series; fit on rows where the series have values."
            )
        start = self._loss_now(X, y)
        if _training.uses_jax_engine():
            history = _training.fit_jax(
                self.model_, X, y,
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
            history = self._fit_with_keras(X, y, validation, sample_weight, epochs)
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, values in history.items():
            self.history_[key] += values
        self._warn_if_diverged(start, history.get("loss", []))

    def _loss_now(self, X, y, max_rows=256):
        """The network's mean loss on up to ``max_rows`` evenly spread rows, or None."""
        loss = keras.losses.get(self.loss) if isinstance(self.loss, str) else self.loss
        if not callable(loss) or not len(X):
            return None
        rows = np.unique(np.linspace(0, len(X) - 1, min(len(X), max_rows)).astype(int))
        try:
            pred = self._network_output(X[rows]).reshape(y[rows].shape)
            return float(np.mean(np.asarray(loss(y[rows].astype(np.float32), pred))))
        except Exception:  # a custom loss that needs more than (y_true, y_pred)
            return None

    def _warn_if_diverged(self, start, losses):
        """Warn when the training loss ends far above the untrained network's."""
        if start is None or not losses or not losses[-1] > 10 * start + 1e-12:
            return
        warnings.warn(
            f"The training loss ended at {losses[-1]:.4g}, more than 10 times the "
            f"{start:.4g} it started from: training went the wrong way. Lower "
            f"learning_rate (now {self.learning_rate}) or scale X and y.",
            RuntimeWarning, stacklevel=6,  # the caller of fit or partial_fit
        )

    def _fit_with_keras(self, X, y, validation, sample_weight, epochs):
        callbacks = list(self._fit_callbacks or [])
        if validation is not None:
            callbacks.append(keras.callbacks.EarlyStopping(
                patience=self.n_iter_no_change, min_delta=self.tol,
                restore_best_weights=True,
            ))
            validation = (validation[0].astype(np.float32), validation[1])
        keras.utils.set_random_seed(int(self._random_state))
        fit = self.model_.fit(
            X.astype(np.float32), y, validation_data=validation,
            sample_weight=sample_weight, epochs=epochs, batch_size=self.batch_size,
            shuffle=self.shuffle, callbacks=callbacks, verbose=self.verbose,
        )
        return fit.history

    # --- public API -------------------------------------------------------

    @contextmanager
    def _warm_start(self, warm):
        """On a warm start, keep the network: honour what it can, refuse the rest.

        The step size is written into the kept optimizer, so a failed or
        interrupted fit puts the previous one back.
        """
        if not (warm and self.initialized_):
            yield
            return
        step_size = self.model_.optimizer.learning_rate.numpy()
        self._prepare_warm_start()
        try:
            yield
        except BaseException:
            self.model_.optimizer.learning_rate.assign(step_size)
            raise

    def _prepare_warm_start(self):
        self._check_params()
        built = getattr(self, "_built_with", {})
        now = self._architecture()
        changed = [n for n in sorted({*built, *now})
                   if n not in built or n not in now or not _same(built[n], now[n])]
        if changed:
            was = ", ".join(f"{n}={built.get(n, '<unset>')!r}" for n in changed)
            raise ValueError(
                f"warm_start=True keeps the fitted network, which was built with {was}, "
                f"but set_params changed {', '.join(changed)}; set them back, or set "
                "warm_start=False to build a new network."
            )
        # what a kept network can take: the step size, callbacks and the seed
        if self._owns_learning_rate():
            self.model_.optimizer.learning_rate = float(self.learning_rate)
        self._initialize_callbacks()
        if isinstance(self.random_state, numbers.Integral):
            self._random_state = int(self.random_state)

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Build the model and train it on windows ``X`` and targets ``y``.

        Overrides SciKeras's fit to be all-or-nothing and to honour or refuse
        parameter changes on a warm start.

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
        with all_or_nothing(self), self._warm_start(self.warm_start):
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train one more epoch, building the model on the first call.

        All-or-nothing, and checks parameter changes as a warm start does.
        """
        with all_or_nothing(self), self._warm_start(True):
            return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)

    def predict(self, X):
        """Predict one value (or ``n_outputs`` values) per window.

        Overrides SciKeras's predict to run sklstm's compiled prediction and
        take no routed ``predict__`` arguments.

        Parameters
        ----------
        X : array-like of shape (n_samples, sequence_length, n_features)
            Windows shaped like the training windows, or their flat form
            ``(n_samples, n_features_in_)``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, shaped like the training ``y``.
        """
        check_is_fitted(self, "model_")
        X, _ = self._validate_data(X)
        X = self._network_samples(X)[0]
        y_pred = self._network_output(X)
        if self.n_series is not None:
            y_pred = unstack_predictions(np.asarray(y_pred), self.n_series)
        return self.target_encoder_.inverse_transform(y_pred).astype(np.float64)

    def _network_output(self, X):
        """The Keras model's output for validated 3-D windows."""
        if _training.uses_jax_engine():
            return _training.predict_jax(self.model_, X)
        return self.model_.predict(X.astype(np.float32), batch_size=1024, verbose=0)

    def score(self, X, y, sample_weight=None):
        """R² of the predictions; with ``n_series``, over each output's known targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, sequence_length, n_features)
            Windows shaped like the training windows.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets; with ``n_series``, NaN marks an unknown value, left out.

        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights.

        Returns
        -------
        score : float
            R² (averaged over the outputs, as scikit-learn does).
        """
        if self.n_series is None:
            return super().score(X, y, sample_weight=sample_weight)
        return known_targets_r2(y, self.predict(X), sample_weight)

    __repr__ = BaseEstimator.__repr__  # sklearn's compact repr, not SciKeras's

    def __sklearn_tags__(self):
        # SciKeras 0.13 has only the legacy _more_tags
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
