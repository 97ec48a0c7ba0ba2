"""Charts for reports: one restrained style, readable Russian labels, no overlapping text.

Pure (matplotlib with the Agg backend); each function returns PNG bytes.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

# A consistent palette: marks 2–5 from warm to cool; the organization / municipality / region.
MARK_COLOURS = {2: "#c0392b", 3: "#e59866", 4: "#5dade2", 5: "#1f618d"}
LEVEL_COLOURS = ["#1f5f8b", "#7fb3d5", "#b0b7bf"]
ACCENT = "#1f5f8b"
WARN = "#b26a00"
DPI = 160

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#e5e8eb",
        "grid.linewidth": 0.6,
        "axes.axisbelow": True,
        "legend.frameon": False,
        "figure.constrained_layout.use": True,
    }
)


def _wrap(label: str, width: int = 14) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return buffer.getvalue()


def _comma_axes(ax: Axes) -> None:
    """Russian decimal comma on both axes."""
    fmt = FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",").replace("-", "−"))
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)


def _percent_axis(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    percent: bool = True,
    colours: Sequence[str] | None = None,
    width_in: float = 6.8,
) -> bytes:
    """Bars per category for several series (e.g. ОО / муниципалитет / регион)."""
    n = max(len(series), 1)
    many = len(categories) > 8
    fig, ax = plt.subplots(figsize=(width_in, 3.2 if not many else 3.8))
    width = 0.8 / n
    palette = list(colours or LEVEL_COLOURS)
    for i, (name, values) in enumerate(series.items()):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(categories))]
        ys = [v if v is not None else 0 for v in values]
        ax.bar(xs, ys, width=width * 0.95, label=name, color=palette[i % len(palette)])
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([_wrap(c, 10 if many else 16) for c in categories],
                       rotation=45 if many else 0, ha="right" if many else "center")
    if percent:
        _percent_axis(ax)
        ax.set_ylim(0, max(100, *(v or 0 for s in series.values() for v in s)) * 1.05)
    ax.set_title(title, loc="left")
    if n > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def stacked_marks(title: str, rows: Sequence[str], shares: Mapping[int, Sequence[float]]) -> bytes:
    """Horizontal 100 % bars of the marks 2–5 per row (organization, municipality, region)."""
    fig, ax = plt.subplots(figsize=(6.8, 0.45 * len(rows) + 1.2))
    left = [0.0] * len(rows)
    for mark in (2, 3, 4, 5):
        values = list(shares.get(mark, [0.0] * len(rows)))
        ax.barh([_wrap(r, 28) for r in rows], values, left=left, color=MARK_COLOURS[mark],
                label=f"«{mark}»")
        for i, (v, start) in enumerate(zip(values, left, strict=True)):
            if v >= 6:
                ax.text(start + v / 2, i, f"{v:.0f}", ha="center", va="center", color="white",
                        fontsize=8)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")
    ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    return _png(fig)


def histogram(
    title: str,
    scores: Sequence[int],
    counts: Sequence[float],
    boundaries: dict[int, float] | None = None,
    *,
    reference: Sequence[float] | None = None,
    reference_label: str = "регион",
    label: str = "ОО",
) -> bytes:
    """Primary-score distribution (% of participants) with the mark boundaries."""
    fig, ax = plt.subplots(figsize=(6.8, 3.0))
    ax.bar(scores, counts, color=ACCENT, width=0.85, label=label)
    if reference is not None:
        ax.plot(scores, reference, color=WARN, linewidth=1.5, label=reference_label)
    for mark, bound in sorted((boundaries or {}).items()):
        ax.axvline(bound - 0.5, color="#6c757d", linestyle="--", linewidth=0.8)
        ax.text(bound - 0.4, ax.get_ylim()[1] * 0.95, f"«{mark}»", fontsize=8, color="#6c757d",
                va="top")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=16))
    _percent_axis(ax)
    ax.set_xlabel("первичный балл")
    ax.set_title(title, loc="left")
    if reference is not None:
        ax.legend(loc="upper right")
    return _png(fig)


def lines(title: str, years: Sequence[int], series: Mapping[str, Sequence[float | None]],
          *, percent: bool = True, target: dict[int, float] | None = None) -> bytes:
    """Dynamics over years, optionally with target points."""
    fig, ax = plt.subplots(figsize=(6.8, 2.8))
    for i, (name, values) in enumerate(series.items()):
        ax.plot(years, [v if v is not None else float("nan") for v in values], marker="o",
                color=LEVEL_COLOURS[i % len(LEVEL_COLOURS)], label=name)
    if target:
        ax.scatter(list(target), list(target.values()), marker="D", color=WARN, zorder=3,
                   label="цель")
    ax.set_xticks(list(years))
    if percent:
        _percent_axis(ax)
    ax.set_title(title, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def scatter(title: str, x: Sequence[float], y: Sequence[float], labels: Sequence[str],
            *, xlabel: str, ylabel: str, highlight: Sequence[bool] | None = None) -> bytes:
    """A scatter of schools (e.g. social index vs results) with quadrant lines at the means."""
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    colours = [WARN if h else ACCENT for h in (highlight or [False] * len(x))]
    ax.scatter(x, y, c=colours, s=22)
    if x and y:
        ax.axvline(sum(x) / len(x), color="#6c757d", linewidth=0.8, linestyle="--")
        ax.axhline(sum(y) / len(y), color="#6c757d", linewidth=0.8, linestyle="--")
    for xi, yi, label, h in zip(x, y, labels, highlight or [False] * len(x), strict=True):
        if h:
            ax.annotate(_wrap(label, 18), (xi, yi), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    _comma_axes(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    return _png(fig)


def count_bars(title: str, categories: Sequence[str], values: Sequence[float | None],
               colours: Sequence[str] | None = None) -> bytes:
    """Bars of counts (integer axis, the count written above each bar) in the report style."""
    ys = [float(v or 0) for v in values]
    fig, ax = plt.subplots(figsize=(6.8, 3.0))
    palette = list(colours or [ACCENT])
    bars = ax.bar(range(len(ys)), ys, width=0.6,
                  color=[palette[i % len(palette)] for i in range(len(ys))])
    for bar, y in zip(bars, ys, strict=True):
        ax.annotate(f"{y:.0f}", (bar.get_x() + bar.get_width() / 2, y), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(ys)))
    ax.set_xticklabels([_wrap(c, 16) for c in categories])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, max([*ys, 1.0]) * 1.15)
    ax.grid(axis="x", visible=False)
    ax.set_title(title, loc="left")
    return _png(fig)
