"""Draw the figures of the user guide and the LSTM concepts page.

The docs build calls :func:`render` from ``docs/hooks.py`` and serves the
SVGs without writing them into ``docs/``. Run this file to look at them::

    python docs/figures.py build/docs-figures-preview   # writes .svg and .png

The windowing figure is drawn from the real output of
``SequenceWindower(3).fit_transform`` and ``make_supervised`` on the first
days of ``load_temperatures()``, so the picture cannot drift from the code.
"""

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

# Colours: Okabe-Ito (readable with colour-vision deficiencies).
ORANGE, BLUE, GREEN, VERMILION = "#E69F00", "#0072B2", "#009E73", "#D55E00"
GREY, PAD_GREY, INK = "#6b6b6b", "#e6e6e6", "#222222"

STYLE = {
    "font.size": 10,
    "svg.hashsalt": "sklstm-docs",  # deterministic ids: same figure, same bytes
    "svg.fonttype": "path",  # text as paths: looks the same without the fonts
}


def _cell(ax, x, y, text, *, w=1.0, h=0.8, face="white", edge=INK, hatch=None,
          color=INK, size=10, lw=1.0):
    ax.add_patch(Rectangle((x, y), w, h, facecolor=face, edgecolor=edge,
                           hatch=hatch, linewidth=lw))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center",
            color=color, fontsize=size)


def _arrow(ax, start, end, *, color=INK, lw=1.3, style="-|>", rad=0.0, ms=12,
           ls="-", zorder=1):
    ax.add_patch(FancyArrowPatch(
        start, end, arrowstyle=style, mutation_scale=ms, color=color,
        linewidth=lw, linestyle=ls, connectionstyle=f"arc3,rad={rad}",
        shrinkA=0, shrinkB=0, zorder=zorder,
    ))


def windowing_figure(sequence_length=3, n_rows=6):
    """Input rows, SequenceWindower's windows and the aligned targets."""
    from sklstm import SequenceWindower, make_supervised
    from sklstm.datasets import load_temperatures

    series = load_temperatures().iloc[:n_rows]
    values = series.to_numpy()
    windows = SequenceWindower(sequence_length).fit_transform(values.reshape(-1, 1))
    _, y = make_supervised(series, None, horizon=1)
    L, n = sequence_length, n_rows
    highlight = n - 2  # the row whose window is traced back to the input

    fig, ax = plt.subplots(figsize=(10.4, 5.2))
    ax.set_xlim(-1.3, 13.2)
    ax.set_ylim(-1.2, n + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")

    def row_y(t):  # row 0 on top, time runs down
        return n - 1 - t

    # Input X: one row per time step.
    x_in = -0.2
    ax.text(x_in + 0.5, n + 0.55, "X\n(rows in time order)", ha="center",
            va="bottom", fontsize=10, fontweight="bold")
    for t in range(n):
        ax.text(x_in - 0.25, row_y(t) + 0.4, f"t={t}", ha="right", va="center",
                color=GREY, fontsize=9)
        in_window = highlight - L + 1 <= t <= highlight
        _cell(ax, x_in, row_y(t), f"{values[t]:g}",
              edge=ORANGE if in_window else INK, lw=2.2 if in_window else 1.0)

    # Windows: output row t holds input rows t-L+1 .. t.
    x_win = 3.2
    ax.text(x_win + L / 2, n + 0.55,
            f"SequenceWindower({L}) output\nshape ({n}, {L}, 1)",
            ha="center", va="bottom", fontsize=10, fontweight="bold")
    for j in range(L):
        lag = L - 1 - j
        ax.text(x_win + j + 0.5, n + 0.05, f"t−{lag}" if lag else "t",
                ha="center", va="bottom", color=GREY, fontsize=9)
    for t in range(n):
        for j in range(L):
            v = windows[t, j, 0]
            if np.isnan(v):
                _cell(ax, x_win + j, row_y(t), "NaN", face=PAD_GREY, hatch="///",
                      edge=GREY, color=GREY, size=8)
            else:
                _cell(ax, x_win + j, row_y(t), f"{v:g}")
        ax.text(x_win - 0.15, row_y(t) + 0.4, f"row {t}", ha="right", va="center",
                color=GREY, fontsize=9)
    ax.add_patch(Rectangle((x_win, row_y(highlight)), L, 0.8, fill=False,
                           edgecolor=ORANGE, linewidth=2.6, zorder=3))
    _arrow(ax, (x_in + 1.1, row_y(highlight - 1) + 0.4),
           (x_win - 1.05, row_y(highlight) + 0.4), color=ORANGE, lw=1.8, rad=0.3)
    ax.text(1.45, row_y(highlight - 1) + 0.75,
            f"rows {highlight - L + 1}..{highlight}", color=ORANGE, ha="center",
            fontsize=9)

    # Targets from make_supervised: y at t is the value at t+1.
    x_y = x_win + L + 1.9
    ax.text(x_y + 0.5, n + 0.55, "y = value at t+1\n(make_supervised)",
            ha="center", va="bottom", fontsize=10, fontweight="bold")
    for t in range(n):
        if t < len(y):
            _cell(ax, x_y, row_y(t), f"{y.iloc[t]:g}",
                  edge=ORANGE if t == highlight else INK,
                  lw=2.2 if t == highlight else 1.0)
        else:
            _cell(ax, x_y, row_y(t), "–", edge=GREY, color=GREY)

    # Notes on the right.
    x_note = x_y + 1.35
    notes = [
        (row_y(0) + 0.4, GREY,
         (f"rows 0..{L - 2}: less history than\nthe window; padded with NaN,\n"
          "masked (skipped) by the LSTM")),
        (row_y(highlight) + 0.4, ORANGE,
         (f"row {highlight}: past up to and\nincluding t={highlight}, "
          f"never later;\npaired with the value at t={highlight + 1}")),
        (row_y(n - 1) + 0.4, GREY,
         ("last row: no future value yet;\nleft out of training, kept to\n"
          "forecast the next step")),
    ]
    for y_pos, color, text in notes:
        ax.text(x_note, y_pos, text, ha="left", va="center", fontsize=9,
                color=color, linespacing=1.3)

    ax.text(-1.2, -0.75,
            f"One output row per input row, so X and y stay aligned inside a Pipeline. "
            f"Values: first {n} days of load_temperatures() (°C).",
            ha="left", va="center", fontsize=9, color=GREY)
    fig.tight_layout(pad=0.3)
    return fig


def _gate(ax, x, y, label, color, name):
    ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6,
                                boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=color, edgecolor="none", zorder=3))
    ax.text(x, y, label, ha="center", va="center", color="white", fontsize=12,
            fontweight="bold", zorder=4)
    ax.text(x, y - 0.5, name, ha="center", va="top", color=color, fontsize=9,
            zorder=4, bbox={"facecolor": "#f7f7f7", "edgecolor": "none", "pad": 1.0})


def _op(ax, x, y, symbol):
    ax.add_patch(Circle((x, y), 0.24, facecolor="white", edgecolor=INK,
                        linewidth=1.3, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=12, zorder=4)


def lstm_cell_figure():
    """One LSTM cell: gates, cell state and hidden state (Keras's LSTM)."""
    fig, ax = plt.subplots(figsize=(10.4, 5.4))
    ax.set_xlim(-2.2, 12.4)
    ax.set_ylim(-1.5, 6.0)
    ax.set_aspect("equal")
    ax.axis("off")

    ax.add_patch(FancyBboxPatch((0.6, -0.35), 9.2, 5.55,
                                boxstyle="round,pad=0.05,rounding_size=0.35",
                                facecolor="#f7f7f7", edgecolor=GREY, linewidth=1.2))
    y_c, y_h, y_g = 4.3, 0.15, 1.75
    x_f, x_i, x_g, x_o = 2.3, 3.9, 5.3, 7.3
    x_mul_f, x_add = x_f, x_g  # the forget gate's ×, the input's +

    # Cell state: the straight line along the top.
    _arrow(ax, (-2.0, y_c), (x_mul_f - 0.24, y_c), color=BLUE, lw=2.4)
    _arrow(ax, (x_mul_f + 0.24, y_c), (x_add - 0.24, y_c), color=BLUE, lw=2.4)
    _arrow(ax, (x_add + 0.24, y_c), (11.0, y_c), color=BLUE, lw=2.4)
    ax.text(-2.0, y_c + 0.2, "cell state $c_{t-1}$", color=BLUE, fontsize=10)
    ax.text(10.0, y_c + 0.3, "$c_t$", color=BLUE, fontsize=11)
    _op(ax, x_mul_f, y_c, "×")
    _op(ax, x_add, y_c, "+")

    # Hidden state and input enter at the bottom and feed every gate.
    ax.text(-2.0, y_h + 0.2, "hidden state $h_{t-1}$", color=GREEN, fontsize=10)
    _arrow(ax, (-2.0, y_h), (x_o, y_h), color=GREEN, lw=1.8, style="-")
    ax.text(1.05, -1.35, "input $x_t$ (one time step\nof the window)", fontsize=10,
            ha="center", va="bottom")
    _arrow(ax, (1.35, -0.75), (1.35, y_h), color=INK, lw=1.6, style="-")
    for x in (x_f, x_i, x_g, x_o):
        _arrow(ax, (x, y_h), (x, y_g - 0.3), color=INK, lw=1.3)
    ax.text(4.6, y_h + 0.22, "$[h_{t-1}, x_t]$", ha="center", fontsize=9, color=GREY)

    _gate(ax, x_f, y_g, "σ", VERMILION, "forget gate $f_t$")
    _gate(ax, x_i, y_g, "σ", ORANGE, "input gate $i_t$")
    _gate(ax, x_g, y_g, "tanh", GREY, "candidate $\\tilde c_t$")
    _gate(ax, x_o, y_g, "σ", GREEN, "output gate $o_t$")

    # forget gate scales the old cell state
    _arrow(ax, (x_f, y_g + 0.3), (x_mul_f, y_c - 0.24), color=VERMILION, lw=1.6)
    # input gate x candidate, added to the cell state
    y_m = 3.05
    _op(ax, x_g, y_m, "×")
    _arrow(ax, (x_i, y_g + 0.3), (x_g - 0.2, y_m - 0.13), color=ORANGE, lw=1.6, rad=-0.3)
    _arrow(ax, (x_g, y_g + 0.3), (x_g, y_m - 0.24), color=GREY, lw=1.6)
    _arrow(ax, (x_g, y_m + 0.24), (x_add, y_c - 0.24), color=INK, lw=1.6)
    # output: h_t = o_t * tanh(c_t)
    _arrow(ax, (8.6, y_c), (8.6, 3.32), color=BLUE, lw=1.4, style="-")
    ax.add_patch(FancyBboxPatch((8.6 - 0.38, 3.1 - 0.22), 0.76, 0.44,
                                boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor="white", edgecolor=BLUE, zorder=3))
    ax.text(8.6, 3.1, "tanh", ha="center", va="center", fontsize=9, zorder=4)
    _op(ax, 8.6, 2.0, "×")
    _arrow(ax, (8.6, 3.1 - 0.22), (8.6, 2.24), color=BLUE, lw=1.4)
    _arrow(ax, (x_o, y_g + 0.3), (8.6 - 0.24, 2.0), color=GREEN, lw=1.6, rad=-0.35)
    _arrow(ax, (8.6, 1.76), (8.6, y_h + 0.05), color=GREEN, lw=1.8, style="-")
    _arrow(ax, (8.6, y_h), (11.0, y_h), color=GREEN, lw=2.0)
    _arrow(ax, (9.4, y_h), (9.4, 5.65), color=GREEN, lw=1.6)
    ax.text(10.0, y_h - 0.45, "$h_t$ (next step)", color=GREEN, fontsize=10)
    ax.text(9.55, 5.45, "$h_t$: output at step t", color=GREEN, fontsize=10)

    ax.text(11.1, 2.2,
            "σ: sigmoid, 0..1\n×, +: element-wise\n\nunits = length of\n$h_t$, $c_t$ and of\n"
            "every gate vector",
            fontsize=9, color=INK, va="center", linespacing=1.3)
    fig.tight_layout(pad=0.3)
    return fig


def bptt_figure(sequence_length=4):
    """The LSTM unrolled over one window, with the gradient flowing back."""
    L = sequence_length
    fig, ax = plt.subplots(figsize=(10.4, 3.6))
    ax.set_xlim(-1.6, 2.4 * L + 1.9)
    ax.set_ylim(-1.5, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")
    xs = [2.4 * k for k in range(L)]
    y_grad = 2.05
    for k, x in enumerate(xs):
        lag = L - 1 - k
        ax.add_patch(FancyBboxPatch((x - 0.7, 0.45), 1.4, 1.1,
                                    boxstyle="round,pad=0.02,rounding_size=0.15",
                                    facecolor="#f7f7f7", edgecolor=INK, zorder=2))
        ax.text(x, 1.0, "LSTM\ncell", ha="center", va="center", fontsize=9, zorder=3)
        name = f"t−{lag}" if lag else "t"
        ax.text(x, -0.55, f"$x_{{{name}}}$", ha="center", va="center", fontsize=11)
        _arrow(ax, (x, -0.3), (x, 0.45), lw=1.3)
        if k:
            _arrow(ax, (xs[k - 1] + 0.7, 1.15), (x - 0.7, 1.15), color=BLUE, lw=1.8)
            _arrow(ax, (xs[k - 1] + 0.7, 0.8), (x - 0.7, 0.8), color=GREEN, lw=1.8)
            _arrow(ax, (x - 0.25, 1.6), (xs[k - 1] + 0.25, 1.6), color=VERMILION,
                   lw=1.4, ls="--", rad=0.45)
    ax.text(xs[0] - 0.75, 1.15, "$c_0=0$ ", ha="right", va="center", color=BLUE,
            fontsize=9)
    ax.text(xs[0] - 0.75, 0.8, "$h_0=0$ ", ha="right", va="center", color=GREEN,
            fontsize=9)
    x_head = xs[-1] + 2.2
    ax.add_patch(FancyBboxPatch((x_head - 0.55, 0.65), 1.1, 0.7,
                                boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor="white", edgecolor=INK, zorder=2))
    ax.text(x_head, 1.0, "Dense", ha="center", va="center", fontsize=9, zorder=3)
    _arrow(ax, (xs[-1] + 0.7, 1.0), (x_head - 0.55, 1.0), color=GREEN, lw=1.8)
    ax.text(x_head, 1.45, "loss($\\hat y$, $y$)", ha="center", va="bottom",
            fontsize=9)
    _arrow(ax, (x_head - 0.35, 1.75), (xs[-1] + 0.25, 1.6), color=VERMILION,
           lw=1.4, ls="--", rad=0.45)
    ax.text((xs[0] + xs[-1]) / 2, y_grad + 0.35,
            f"backpropagation through time: the gradient flows back step by step "
            f"through the states, over all {L} steps (same weights at every step)",
            ha="center", va="bottom", color=VERMILION, fontsize=9)
    ax.text((xs[0] + xs[-1]) / 2, -1.2,
            f"one window = one SequenceWindower(sequence_length={L}) output row; "
            "the state starts at zero in every window",
            ha="center", va="center", color=GREY, fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def cv_folds_figure(n_splits=5):
    """TimeSeriesSplit on the Seattle weather rows, drawn by sklstm.plotting."""
    from sklearn.model_selection import TimeSeriesSplit

    from sklstm import make_supervised
    from sklstm.datasets import load_seattle_weather
    from sklstm.plotting import plot_cv_folds

    X, _ = make_supervised(load_seattle_weather(), "temp_max", features=["temp_max"])
    ax = plot_cv_folds(TimeSeriesSplit(n_splits=n_splits), X)
    return ax.figure


FIGURES = {
    "windowing": windowing_figure,
    "cv_folds": cv_folds_figure,
    "lstm_cell": lstm_cell_figure,
    "bptt": bptt_figure,
}


def render(name, fmt="svg"):
    """Return the bytes of figure ``name`` (a key of ``FIGURES``) as ``fmt``."""
    with plt.rc_context(STYLE):
        fig = FIGURES[name]()
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else None
        fig.savefig(buf, format=fmt, metadata=metadata, dpi=110)
        plt.close(fig)
    return buf.getvalue()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "build/docs-figures-preview")
    out.mkdir(parents=True, exist_ok=True)
    for name in FIGURES:
        for fmt in ("svg", "png"):
            path = out / f"{name}.{fmt}"
            path.write_bytes(render(name, fmt))
            print(path)


if __name__ == "__main__":
    main()
