"""LSTMRegressor: a SciKeras regressor over windows of the past."""

import inspect
import numbers
import threading
from collections import defaultdict
from contextlib import contextmanager

import keras
import numpy as np
from scikeras.wrappers import KerasRegressor
from sklearn.base import BaseEstimator
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import RegressorTags
from sklearn.utils.validation import check_is_fitted

from . import _engine
from ._backend import enable_compilation_cache
from ._checks import (
    BOOLEAN, CALLABLE, FLOAT32_MAX, FLOAT_DTYPES, NONE, InstanceOf, InvalidParameterError, Interval,
    Options, as_units, check_array, check_fraction, check_numeric, check_same_as_fitted,
    check_sample_weight, largest_magnitude, shared_constraints, unknown_parameter_error,
    validate_data, validate_params, validation_size,
)
from ._conformal import half_widths
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
from ._state import PlainState, all_or_nothing, same_value

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
    "highway", "head_initializer",
)
_ARCHITECTURE_ROUTES = ("model", "compile", "optimizer", "loss", "metrics")


def _check_no_infinity(X, chunk_size=4096):
    """Reject values the float32 network would see as infinite (NaN marks masked steps)."""
    for start in range(0, len(X), chunk_size):
        chunk = X[start : start + chunk_size]
        if np.isinf(chunk).any():
            raise ValueError(
                "Input X contains infinity; replace or drop infinite values "
                "(NaN is allowed and marks masked time steps)."
            )
        if (np.abs(chunk) > FLOAT32_MAX).any():
            raise ValueError(
                f"Input X contains values beyond float32's range (|x| > {FLOAT32_MAX:.3g}), "
                f"up to {largest_magnitude(chunk):.3g}; the network computes in float32, "
                "where they are infinite. Scale X first, e.g. with MinMaxScaler."
            )


def _as_slice(positions):
    """Increasing row ``positions`` as a slice when they are contiguous: a view, not a copy."""
    if len(positions) and positions[-1] - positions[0] == len(positions) - 1:
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


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

    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` anneals the step size from ``learning_rate`` down to 0
        along half a cosine over the ``epochs`` (updated every batch), so a
        run of a fixed length ends settled rather than on a noisy step.

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

    head_initializer : {"glorot_uniform", "zeros"}, default="glorot_uniform"
        Initial weights of the Dense head. ``"zeros"`` makes the untrained
        network output 0, for a network that learns a correction to another
        forecast (e.g. the residuals of a simple forecast): training then
        starts from that forecast, not from noise added to it.

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

    validation_rows_ : ndarray of int of shape (n_validation,)
        Positions in fit's X of the rows held out for early stopping: the
        last ``validation_fraction`` of the rows (of those with a nonzero
        weight); empty without early stopping.

    validation_predictions_ : ndarray of shape (n_validation,) or (n_validation, n_outputs)
        Predictions for ``validation_rows_`` with the weights kept (those of
        the best epoch), from the training loop, which computes them anyway
        to stop early; shaped like :meth:`predict`'s output (NaN when no
        held-out target was known, so that nothing was evaluated).

    conformity_scores_ : ndarray of shape (n_validation, n_outputs)
        Absolute errors of ``validation_predictions_``, for
        :meth:`predict_interval` (empty without early stopping).

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
        learning_rate_schedule="constant",
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
        head_initializer="glorot_uniform",
        **routed_params,
    ):
        self.model = model
        self.units = units
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
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
        self.head_initializer = head_initializer
        vars(self).update(routed_params)
        # which routed names were passed, as skorch records its prefixes:
        # get_params and clone read this, never a scan of vars(self)
        self._routed_names = tuple(sorted(routed_params))

    # --- parameters -------------------------------------------------------

    _parameter_constraints = shared_constraints(
        "units", "dropout", "epochs", "batch_size", "learning_rate", "early_stopping",
        "validation_fraction", "n_iter_no_change", "random_state", "verbose", "series_embedding",
        model=[NONE, CALLABLE, InstanceOf(keras.Model, "a keras.Model")],
        learning_rate_schedule=[Options("constant", "cosine")],
        optimizer=[InstanceOf((str, type, keras.optimizers.Optimizer),
                              "an optimizer name, class or instance")],
        loss=[InstanceOf((str, keras.losses.Loss), "a loss name or keras.losses.Loss"), CALLABLE],
        tol=[Interval(numbers.Real, 0, None)],
        shuffle=[BOOLEAN],
        callbacks=[NONE, InstanceOf((list, tuple, dict, keras.callbacks.Callback),
                                    "a list of keras.callbacks.Callback")],
        warm_start=[BOOLEAN],
        metrics=[NONE, InstanceOf((list, tuple, dict, str), "a list of Keras metrics")],
        n_series=[NONE, Interval(numbers.Integral, 1, None)],
        highway=[NONE, Interval(numbers.Integral, 1, None)],
        head_initializer=[Options("glorot_uniform", "zeros")],
    )
    _parameter_hints = {
        "n_series": "the number of series columns, or None for one series",
    }

    @classmethod
    def _explicit_param_names(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    def _get_param_names(self):
        # SciKeras hook: it scans vars(self); explicit and passed routed names keep clone exact
        return sorted([*self._explicit_param_names(), *self._routed_names])

    def _check_routed(self, names):
        """Refuse unknown names and routed names nothing would honour."""
        explicit = self._explicit_param_names()
        for name in names:
            destination, _, rest = name.partition("__")
            if not rest or destination not in ROUTING_PREFIXES:
                raise unknown_parameter_error(
                    type(self).__name__, name, explicit,
                    extra=" Routed parameters are named <destination>__<name> with a "
                          f"destination among {', '.join(ROUTING_PREFIXES)}.",
                )
            honoured = HONOURED_ROUTES.get(destination, set())
            if honoured is not None and rest not in honoured:
                instead = f" Use {rest}=... instead." if rest in explicit else ""
                kept = (f" ({destination}__ takes only {', '.join(sorted(honoured))})"
                        if honoured else "")
                raise InvalidParameterError(
                    f"{type(self).__name__} does not use the routed parameter {name!r}: "
                    f"sklstm's own training loop and predict would ignore it{kept}.{instead}"
                )
            if destination == "model" and self.model is None:
                raise InvalidParameterError(
                    f"{name!r} is routed to the model build function, but model=None "
                    "builds sklstm's default LSTM, which takes no extra arguments; pass "
                    "model=<your build function>, or use units, dropout and the other "
                    "parameters."
                )

    def _check_params(self):
        """Check every parameter (the table above and the routed names); set nothing."""
        self._check_routed(self._routed_names)
        validate_params(self)
        if self.series_embedding and self.n_series is None:
            raise ValueError(
                f"series_embedding={self.series_embedding} needs n_series, the number "
                "of series in the windows; set n_series or series_embedding=0."
            )
        metrics = [n for n in ("metrics", "compile__metrics") if getattr(self, n, None)]
        if metrics and _engine.uses_jax_engine():
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
        self._check_routed([k for k in routed if k not in self._routed_names])
        for name in routed:
            setattr(self, name, params.pop(name))
        self._routed_names = tuple(sorted({*self._routed_names, *routed}))
        return BaseEstimator.set_params(self, **params)

    def _check_loaded(self):
        """A loaded regressor's parameters must be those its network was built with.

        Raises ValueError naming what differs (an edited save); called by
        :func:`sklstm.load_estimator`.
        """
        built = getattr(self, "_built_with", None)
        if built is None or not hasattr(self, "model_"):
            return
        now = self._architecture()
        # a parameter newer than the save was built with its default then
        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()}
        built = {n: built.get(n, defaults.get(n)) for n in {*built, *now}}
        simple = (int, float, str, bool, type(None), tuple)
        changed = {n: (built.get(n), now.get(n)) for n in sorted({*built, *now})
                   if isinstance(built.get(n), simple) and isinstance(now.get(n), simple)
                   and not same_value(built.get(n), now.get(n))}
        ours = self.model is None or getattr(self.model, "__module__", "").startswith("sklstm.")
        sizes = tuple(layer.units for layer in self.model_.layers
                      if isinstance(layer, keras.layers.LSTM))
        if not changed and ours and sizes and sizes != as_units(self.units):
            changed["units"] = (sizes if len(sizes) > 1 else sizes[0], self.units)
        check_same_as_fitted(changed, "network")

    def _architecture(self):
        """The parameters the network was built from, to compare on a warm start."""
        names = [*ARCHITECTURE_PARAMS,
                 *(n for n in self._routed_names if n.split("__")[0] in _ARCHITECTURE_ROUTES)]
        return {name: getattr(self, name) for name in names}

    # --- SciKeras hooks ---------------------------------------------------
    # SciKeras 0.13's private methods that LSTMRegressor overrides, each saying why
    # (tests/test_common.py pins the version and the list; _get_param_names is above)

    def _check_model_param(self):
        # SciKeras hook: its version reads a build_fn parameter and refuses model=None (our default)
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
        # SciKeras hook: SciKeras does not know learning_rate; give it to the optimizer it built
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        if self._owns_learning_rate():
            optimizer.learning_rate = float(self.learning_rate)
        return kwargs

    def _owns_learning_rate(self):
        """Whether ``learning_rate`` sets the optimizer's step size (not overridden)."""
        routed = "optimizer__learning_rate" in self._routed_names
        return isinstance(self.optimizer, (str, type)) and not routed

    def _validate_sample_weight(self, X, y, sample_weight):
        # SciKeras hook: it takes negative weights silently and copies every window to drop 0s
        if isinstance(sample_weight, numbers.Real):  # one weight for every row, as sklearn allows
            sample_weight = np.full(len(X), sample_weight, dtype=float)
        # the one weight check (LSTMForecaster's too); rows of weight 0 are dropped in
        # _fit_keras_model by position, without copying
        weights = check_sample_weight(sample_weight, len(X))
        return X, y, weights.astype(np.float32)

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
            head_initializer=self.head_initializer,
        )
        model.compile(**compile_kwargs)
        return model

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=True):
        # SciKeras hook: its check refuses 3-D windows with NaN (masked) steps
        if X is None:
            y = check_array(y, owner=type(self).__name__, ensure_2d=False, dtype=FLOAT_DTYPES,
                            input_name="y")
            return None, y
        X, y = self._check_windows(X, y, reset)
        if reset:
            self.input_shape_ = tuple(X.shape[1:])
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

    def _check_windows(self, X, y, reset):
        """X as 3-D float windows (NaN allowed: masked steps) and y, or a clear error."""
        check_numeric(X, type(self).__name__)
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
        if y is not None and largest_magnitude(y) > FLOAT32_MAX:
            raise ValueError(
                f"y contains values beyond float32's range (|y| > {FLOAT32_MAX:.3g}), up "
                f"to {largest_magnitude(y):.3g}; the network computes in float32. Scale y "
                "first, e.g. TransformedTargetRegressor(transformer=MinMaxScaler())."
            )
        return X.reshape((len(X), *window)), y

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

    def _build_keras_model(self):
        # SciKeras hook: one build at a time (it seeds through process-wide state), seeded right
        enable_compilation_cache()
        self.units_ = as_units(self.units)
        with _BUILD_LOCK:  # SciKeras sets and pops os.environ and numpy's global seed
            if self._random_state is None:
                self._random_state = int(np.random.randint(np.iinfo(np.int32).max))
            elif isinstance(self.random_state, np.random.RandomState):
                # SciKeras draws randint(low=1), always 0: every RandomState
                # would give the same network. Draw from a copy, as it meant to.
                copy = np.random.RandomState()
                copy.set_state(self.random_state.get_state())
                self._random_state = int(copy.randint(np.iinfo(np.int32).max))
            model = super()._build_keras_model()
        self._built_with = self._architecture()  # what a warm start must keep
        return model

    def _network_samples(self, X, y=None):
        """Rows -> network samples: with n_series, one per row and series (series-major)."""
        if self.n_series is None:
            return X, y
        X = stack_series(np.asarray(X), self.n_series, with_ids=bool(self.series_embedding))
        return X, None if y is None else stack_targets(y, self.n_series)

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # SciKeras hook: sklstm's loop, early stopping on the last rows (not a shuffled split)
        y = y.reshape(len(y), -1)
        # rows of zero weight are dropped (as SciKeras does), then the last rows are held out
        rows = np.arange(len(X)) if sample_weight is None else np.flatnonzero(sample_weight)
        n_val = validation_size(len(rows), self.validation_fraction) if self.early_stopping else 0
        held = rows[len(rows) - n_val :]
        train = _as_slice(rows[: len(rows) - n_val])
        X_train, y_train = self._network_samples(X[train], y[train])
        if sample_weight is not None:
            sample_weight = sample_weight[train]
            if self.n_series is not None:
                sample_weight = np.repeat(sample_weight, self.n_series)
        # a panel's samples with an unknown (NaN) target are left out of the loss
        if self.n_series is not None and not known_targets(y_train).all():
            known = known_targets(y_train)
            X_train, y_train = X_train[known], y_train[known]
            sample_weight = None if sample_weight is None else sample_weight[known]
        if not len(X_train):
            raise ValueError(
                f"y has no known (non-NaN) target in the {len(y[train])} training row(s) of "
                f"its n_series={self.n_series} series; fit on rows where the series have values."
            )
        validation = None
        if n_val:
            X_val, y_val = self._network_samples(X[_as_slice(held)], y[_as_slice(held)])
            if known_targets(y_val).any():  # else every held-out target is unknown
                validation = (X_val, y_val)  # unknown targets: predicted, not scored
        training = _engine.train(
            self.model_, X_train, y_train,
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
            learning_rate_schedule=self.learning_rate_schedule,
            stacklevel=6,  # the caller of fit or partial_fit
        )
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, values in training.history.items():
            self.history_[key] += values
        self._keep_validation_predictions(held, training.validation_predictions, y)

    def _keep_validation_predictions(self, held, predictions, y):
        """``validation_rows_``, the kept weights' predictions on them (shaped like predict's),
        and their absolute errors, which calibrate :meth:`predict_interval`."""
        self.validation_rows_ = held
        if predictions is None:  # no held-out rows, or none with a known target
            predictions = np.full((len(held) * (self.n_series or 1), self.network_n_outputs_),
                                  np.nan)
        if self.n_series is not None:
            predictions = unstack_predictions(predictions, self.n_series)
        self.validation_predictions_ = self.target_encoder_.inverse_transform(
            predictions).astype(np.float64)
        truth = np.asarray(y[held], dtype=float).reshape(len(held), self.n_outputs_)
        self.conformity_scores_ = np.abs(
            truth - self.validation_predictions_.reshape(len(held), self.n_outputs_))

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
        built = getattr(self, "_built_with", {})
        now = self._architecture()
        changed = [n for n in sorted({*built, *now})
                   if n not in built or n not in now or not same_value(built[n], now[n])]
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
        self._check_params()
        with all_or_nothing(self), self._warm_start(self.warm_start):
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """Train one more epoch, building the model on the first call.

        All-or-nothing, and checks parameter changes as a warm start does.
        """
        self._check_params()
        with all_or_nothing(self), self._warm_start(True):
            return super().partial_fit(X, y, sample_weight=sample_weight, **kwargs)

    def _predict_checked(self, X):
        """predict for windows :meth:`predict` has checked."""
        y_pred = self._network_output(self._network_samples(X)[0])
        if self.n_series is not None:
            y_pred = unstack_predictions(np.asarray(y_pred), self.n_series)
        return self.target_encoder_.inverse_transform(y_pred).astype(np.float64)

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
        return self._predict_checked(X)

    def predict_interval(self, X, coverage=0.9):
        """Split-conformal prediction intervals around :meth:`predict`.

        Calibrated on the rows held out for early stopping (the last
        ``validation_fraction`` of the training rows, never trained on):
        each output's half-width covers ``coverage`` of their absolute
        errors, with the finite-sample correction. Inside a
        :class:`~sklearn.compose.TransformedTargetRegressor`, :func:`forecast`
        maps the bounds back to ``y``'s units.

        Parameters
        ----------
        X : array-like of shape (n_samples, sequence_length, n_features)
            Windows, as for :meth:`predict`.

        coverage : float, default=0.9
            Target fraction of future values inside the interval, in (0, 1).

        Returns
        -------
        lower, upper : ndarray, each shaped like :meth:`predict`'s output
        """
        check_is_fitted(self, "model_")
        check_fraction("coverage", coverage, low_inclusive=False,
                       fix="e.g. coverage=0.9 for a 90% interval")
        half = half_widths(
            getattr(self, "conformity_scores_", np.empty((0, 1))), coverage,
            fix="fit with early_stopping=True (its held-out rows calibrate the interval), "
                "on more rows or with a larger validation_fraction")
        y = self.predict(X)
        shaped = half if y.ndim == 2 else half[0]
        return y - shaped, y + shaped

    def _network_output(self, X):
        """The Keras model's output for validated 3-D windows."""
        return _engine.predict(self.model_, X)

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
