"""Charts for the PDF, drawn with matplotlib (Agg) as PNG at print resolution, with a Thai font registered."""
import io
from functools import lru_cache

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

matplotlib.use("Agg")  # workers have no display; figures are drawn without pyplot

INK, MUTED, LINE = "#1d2330", "#5b6475", "#e4ddd0"
ACCENT, TEAL, GOLD, PLUM, SAND = "#b5531f", "#2f6f73", "#d9a441", "#7a4e9a", "#e9dcc6"
DAY_COLOURS = (ACCENT, TEAL, GOLD, PLUM, INK)
# Preferred first: Noto Sans Thai (fonts-noto-core), then the TLWG faces (fonts-thai-tlwg).
THAI_FONTS = ("NotoSansThai-Regular", "NotoSansThai-Bold", "NotoSans-Regular", "NotoSans-Bold", "Loma", "Loma-Bold", "Garuda")


@lru_cache(maxsize=1)
def thai_families():
    """Register the Thai fonts found on this machine with matplotlib; return the families to use, in order."""
    wanted = {name.lower() for name in THAI_FONTS}
    families = []
    for path in sorted(font_manager.findSystemFonts()):
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
        if stem in wanted:
            font_manager.fontManager.addfont(path)
            family = font_manager.FontProperties(fname=path).get_name()
            if family not in families:
                families.append(family)
    order = {"Noto Sans Thai": 0, "Noto Sans": 1, "Loma": 2, "Garuda": 3}
    return sorted(families, key=lambda f: order.get(f, 9)) + ["DejaVu Sans"]


def _figure(width, height):
    figure = Figure(figsize=(width, height), dpi=100)
    figure.patch.set_alpha(0)
    return figure


def _style(axes, grid_axis="x"):
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(LINE)
    axes.tick_params(colors=MUTED, labelsize=8, length=0)
    axes.grid(axis=grid_axis, color=LINE, linewidth=0.8)
    axes.set_axisbelow(True)


def _whole_numbers(axis):
    """A value axis counts people and visits: ticks on whole numbers only, written without decimals.

    (Left to itself matplotlib puts 0.5 steps on an axis that ends at 1 to 3.)
    """
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def value_tick_labels(figure, axis="x"):
    """The labels a person reads on a figure's value axis ("x" for bars, "y" for columns), as drawn."""
    FigureCanvasAgg(figure).draw()
    axes = figure.axes[0]
    labels = axes.get_xticklabels() if axis == "x" else axes.get_yticklabels()
    low, high = axes.get_xlim() if axis == "x" else axes.get_ylim()
    ticks = axes.get_xticks() if axis == "x" else axes.get_yticks()
    return [label.get_text() for label, tick in zip(labels, ticks) if low <= tick <= high]


def _png(figure):
    """PNG at print resolution: Agg shapes Thai correctly (marks stacked), and WeasyPrint embeds it fast.

    (As SVG with text left as text, WeasyPrint's SVG renderer misplaces Thai marks;
    with text as paths, drawing the glyph outlines took seconds per report.)
    """
    out = io.BytesIO()
    with matplotlib.rc_context({"font.family": thai_families()}):
        figure.savefig(out, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def short(text, length=42):
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _families():
    return {"family": thai_families()}


# The PDF's text column is 176 mm wide: figures drawn at that width are embedded at 1:1.
WIDTH = 6.9
DPI = 220


def _legend(axes, n):
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=n, frameon=False, borderaxespad=0.2,
                handlelength=1.2, prop={"family": thai_families(), "size": 8})


def horizontal_bars(labels, series, *, width=WIDTH, value_label=True):
    """series: [(name, values, colour)], stacked left to right; labels top to bottom."""
    return _png(horizontal_bars_figure(labels, series, width=width, value_label=value_label))


def horizontal_bars_figure(labels, series, *, width=WIDTH, value_label=True):
    figure = _figure(width, 0.35 + 0.3 * max(len(labels), 1))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for name, values, colour in series:
        axes.barh(positions, values, left=left, color=colour, height=0.66, label=name)
        left = [a + b for a, b in zip(left, values)]
    if value_label:
        for y, total in zip(positions, left):
            axes.text(total, y, f" {total:,}", va="center", ha="left", fontsize=8, color=INK, fontdict=_families())
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontdict=_families(), fontsize=8.5, color=INK)
    axes.set_xlim(0, max(left + [1]) * 1.15)
    _whole_numbers(axes.xaxis)
    _style(axes)
    if len(series) > 1:
        _legend(axes, len(series))
    return figure


def hourly_columns(hours, days, *, width=WIDTH, height=2.3, ylabel=""):
    """days: [(label, values by hour)] drawn side by side for each hour."""
    return _png(hourly_columns_figure(hours, days, width=width, height=height, ylabel=ylabel))


def hourly_columns_figure(hours, days, *, width=WIDTH, height=2.3, ylabel=""):
    figure = _figure(width, height)
    axes = figure.add_subplot()
    n = max(len(days), 1)
    bar = 0.8 / n
    for i, (label, values) in enumerate(days):
        offsets = [h - 0.4 + bar * (i + 0.5) for h in range(len(hours))]
        axes.bar(offsets, values, width=bar * 0.92, color=DAY_COLOURS[i % len(DAY_COLOURS)], label=label)
    axes.set_xticks(range(len(hours)))
    axes.set_xticklabels([f"{h:02d}:00" for h in hours], fontsize=8, color=MUTED)
    if ylabel:
        axes.set_ylabel(ylabel, fontdict=_families(), fontsize=8, color=MUTED)
    _style(axes, grid_axis="y")
    _whole_numbers(axes.yaxis)
    _legend(axes, len(days))
    return figure


def fill_bars(labels, attended, capacity, names, *, width=WIDTH):
    """Attendance drawn over a pale bar of capacity (sessions without a capacity show attendance alone)."""
    return _png(fill_bars_figure(labels, attended, capacity, names, width=width))


def fill_bars_figure(labels, attended, capacity, names, *, width=WIDTH):
    figure = _figure(width, 0.35 + 0.3 * max(len(labels), 1))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, [c or 0 for c in capacity], color=SAND, height=0.7, label=names[1])
    axes.barh(positions, attended, color=ACCENT, height=0.42, label=names[0])
    for y, a, c in zip(positions, attended, capacity):
        text = f" {a:,}" + (f" / {c:,}" if c else "")
        axes.text(max(a, c or 0), y, text, va="center", ha="left", fontsize=8, color=INK)
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontdict=_families(), fontsize=8.5, color=INK)
    axes.set_xlim(0, max([1] + attended + [c or 0 for c in capacity]) * 1.2)
    _whole_numbers(axes.xaxis)
    _style(axes)
    _legend(axes, 2)
    return figure
