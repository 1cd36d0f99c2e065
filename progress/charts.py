"""Charts drawn on the server with matplotlib as SVG, so the web page and the PDF show the
very same picture. Tables of the same data sit beside them for screen readers."""

import datetime as dt
import hashlib
import io

from django.core.cache import cache
from django.utils.html import escape

from plans.models import MeasureDefinition

# Pale band colours from better to worse; text on top stays dark enough to read.
BAND_COLOURS = ["#e3f1e6", "#f1f4dc", "#fbf0d4", "#fbe3d2", "#f7d6d6"]
LINE = "#1f5fa8"


CACHE_SECONDS = 24 * 60 * 60

TARGET = "#6b3f00"
# How a bound objective's criterion reads on its target line.
CRITERION_SIGNS = {"lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}
# A date label at fontsize 10 ("12 Mar 2026") needs about 1.3 inches to stand clear of the next
# one; 10 rather than 8 so that the labels stay legible when a phone shrinks the chart to half.
INCHES_PER_TICK = 1.3
TICK_FONT = 10
MAX_TICKS = 6


# Every label is plain text. Matplotlib otherwise reads `$...$` in any text as mathtext, so a
# practice measure (or band) named `Mood $\undefinedcmd{x}$` failed to draw, taking its chart, the
# clinical PDF and bulk exports with it. The setting is read when each Text is created, so it
# wraps the drawing, not only the rendering.
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _cached(kind: str, data: object, draw) -> str:
    """The same data always draws the same SVG, so draw it once: the plan page and its PDF
    share it, and a re-download of an unchanged plan costs no matplotlib time."""
    # Lazy: importing matplotlib costs about 0.4 s, paid only by processes that draw a chart.
    from matplotlib import rc_context

    # v2: labels became plain text, so a `$` in a name draws differently than before.
    # v3: the time axis spans the data, with its own ticks; measure charts draw targets.
    key = f"chart:{kind}:v3:" + hashlib.sha256(repr(data).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        with rc_context(PLAIN_TEXT):
            svg = draw()
        cache.set(key, svg, CACHE_SECONDS)
    return svg


def _render(fig) -> str:
    # Lazy: importing matplotlib costs about 0.4 s, paid only by processes that draw a chart.
    from matplotlib import rc_context

    buffer = io.StringIO()
    # A fixed salt and no date keep the SVG byte-identical for the same data.
    with rc_context({"svg.hashsalt": "psyplan", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def time_window(dates: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The stretch of time the axis shows: first to last point with a little room either side,
    and a single date gets a month around it, not matplotlib's default of years."""
    first, last = min(dates), max(dates)
    span = (last - first).days
    if span == 0:
        return first - dt.timedelta(days=14), last + dt.timedelta(days=14)
    pad = dt.timedelta(days=max(2, round(span * 0.05)))
    return first - pad, last + pad


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# Steps between ticks, finest first: (days, months).
STEPS = [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (7, 0), (14, 0)] + [(0, m) for m in (1, 2, 3, 6, 12, 24, 60)]


def date_ticks(start: dt.date, end: dt.date, *, max_ticks: int = MAX_TICKS) -> list[dt.date]:
    """Evenly stepped dates inside [start, end], at most `max_ticks` of them: days, weeks
    (Mondays), or the first of a month, whichever is the finest step that fits."""
    for days, months in STEPS:
        if days:
            first = start
            if days == 7 or days == 14:
                first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
            ticks = []
            while first <= end:
                ticks.append(first)
                first += dt.timedelta(days=days)
        else:
            first = _add_months(start, 0 if start.day == 1 else 1)
            while (first.year * 12 + first.month - 1) % months:
                first = _add_months(first, 1)
            ticks = []
            while first <= end:
                ticks.append(first)
                first = _add_months(first, months)
        if len(ticks) <= max_ticks:
            # A step so coarse that one tick is left would leave the axis without a scale.
            return ticks if len(ticks) >= 2 else [start, end]
    return [start, end]


def date_labels(ticks: list[dt.date]) -> list[str]:
    """Compact labels: "5 Mar" for days and weeks, "Mar" for months, "2026" for years; the year
    is written on the first label and wherever it changes."""
    if len(ticks) > 1 and all(t.day == 1 for t in ticks) and (ticks[1] - ticks[0]).days >= 28:
        if all(t.month == 1 for t in ticks) and (ticks[1] - ticks[0]).days > 300:
            return [str(t.year) for t in ticks]
        return _with_year_on_change(ticks, lambda t: f"{t:%b}")
    return _with_year_on_change(ticks, lambda t: f"{t.day} {t:%b}")


def _with_year_on_change(ticks: list[dt.date], short) -> list[str]:
    labels, year = [], None
    for t in ticks:
        labels.append(short(t) + (f" {t.year}" if t.year != year else ""))
        year = t.year
    return labels


def _time_axis(fig, ax, dates: list[dt.date]) -> None:
    """The x axis spans the data, with as many date labels as its width holds without overlap."""
    if not dates:
        # Nothing drawn yet: no dates to show rather than an invented stretch of time.
        ax.set_xticks([])
        return
    start, end = time_window(dates)
    ax.set_xlim(start, end)
    width = fig.get_figwidth() * (fig.subplotpars.right - fig.subplotpars.left)
    ticks = date_ticks(start, end, max_ticks=max(2, min(MAX_TICKS, int(width / INCHES_PER_TICK))))
    ax.set_xticks(ticks)
    ax.set_xticklabels(date_labels(ticks), fontsize=TICK_FONT)


def target_label(comparator: str, threshold: int, objective: str) -> str:
    return f"Target {CRITERION_SIGNS.get(comparator, comparator)} {threshold} (objective {objective})"


def _figure(height: float = 2.8, right: float = 0.84):
    # Lazy: importing matplotlib costs about 0.4 s, paid only by processes that draw a chart.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.6, height), dpi=100)
    # Fixed margins instead of a "tight" bounding box, which costs a second layout pass.
    # The date labels lie flat (few enough to fit), so the bottom needs room for one line only.
    fig.subplots_adjust(left=0.1, right=right, bottom=0.14, top=0.88)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def measure_chart(definition, points: list[tuple[dt.date, int]], targets: list[tuple[int, str]] | None = None) -> str:
    """Totals over time with the measure's severity bands shaded behind them, and a dashed line
    at the threshold of each objective bound to the measure: `targets` is [(threshold, label)]."""
    targets = sorted(targets or [])
    data = (
        definition.code,
        definition.name,
        definition.min_score,
        definition.max_score,
        definition.direction,
        [tuple(b) for b in definition.bands or []],
        sorted(points),
        targets,
    )
    return _cached("measure", data, lambda: _draw_measure_chart(definition, sorted(points), targets))


def _draw_measure_chart(definition, points: list[tuple[dt.date, int]], targets) -> str:
    fig, ax = _figure()
    bands = definition.bands or []
    ordered = bands if definition.direction == MeasureDefinition.Direction.LOWER_IS_BETTER else list(reversed(bands))
    for index, (low, high, label) in enumerate(ordered):
        colour = BAND_COLOURS[min(index * len(BAND_COLOURS) // max(len(ordered), 1), len(BAND_COLOURS) - 1)]
        ax.axhspan(low - 0.5, high + 0.5, color=colour, linewidth=0, zorder=0)
        ax.text(
            1.01, (low + high) / 2, label, transform=ax.get_yaxis_transform(), va="center", fontsize=8, color="#333"
        )
    dates = [p[0] for p in points]
    totals = [p[1] for p in points]
    ax.plot(dates, totals, marker="o", color=LINE, linewidth=2, zorder=3)
    for when, total in points:
        ax.annotate(str(total), (when, total), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    for threshold, label in targets:
        ax.axhline(threshold, color=TARGET, linestyle="--", linewidth=1.3, zorder=2, gid="target-line")
        ax.text(
            0.01,
            threshold,
            label,
            transform=ax.get_yaxis_transform(),
            va="bottom",
            fontsize=8,
            color=TARGET,
            zorder=4,
            # Readable over the severity bands and the line.
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1},
        )
    ax.set_ylim(definition.min_score - 0.5, definition.max_score + 0.5)
    ax.set_ylabel("Total score")
    ax.set_title(f"{definition.name} over time", fontsize=11, loc="left")
    _time_axis(fig, ax, dates)
    return _render(fig)


def objective_chart(series: list[tuple[str, list[tuple[dt.date, int]]]]) -> str:
    """Each objective's progress rating (0-100 %) across reviews; labels like "1.2" match the plan."""
    return _cached("objectives", series, lambda: _draw_objective_chart(series))


def _draw_objective_chart(series) -> str:
    fig, ax = _figure(3.0, right=0.86)
    for label, points in series:
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linewidth=1.5, label=label)
    ax.set_ylim(-5, 105)
    ax.set_ylabel("Progress (%)")
    ax.set_title("Objectives across reviews", fontsize=11, loc="left")
    if any(points for _, points in series):
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    _time_axis(fig, ax, [p[0] for _, points in series for p in points])
    return _render(fig)


def accessible(svg: str, *, title: str, desc: str) -> str:
    """The SVG with a <title> and <desc> as its first children, for whoever reads it without seeing it."""
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    return f"{svg[:end]}<title>{escape(title)}</title><desc>{escape(desc)}</desc>{svg[end:]}"


def functioning_chart(points: list[tuple[dt.date, float]], slope_per_month: float | None, *, desc: str) -> str:
    """Defensive functioning (mean DMRS level, 1-7) per session, with its least-squares trend."""
    data = (sorted(points), slope_per_month)
    svg = _cached("functioning", data, lambda: _draw_functioning_chart(sorted(points), slope_per_month))
    return accessible(svg, title="Defensive functioning per session", desc=desc)


def _draw_functioning_chart(points, slope_per_month) -> str:
    fig, ax = _figure(2.8, right=0.97)
    dates = [p[0] for p in points]
    levels = [p[1] for p in points]
    ax.plot(dates, levels, marker="o", color=LINE, linewidth=1.8, zorder=3, label="Session")
    if slope_per_month is not None and len(points) > 1:
        # The trend line through the points' centre with the least-squares slope.
        first = dates[0]
        days = [(d - first).days for d in dates]
        mean_x, mean_y = sum(days) / len(days), sum(levels) / len(levels)
        per_day = slope_per_month / 30
        ends = [min(days), max(days)]
        ax.plot(
            [first + dt.timedelta(days=x) for x in ends],
            [mean_y + per_day * (x - mean_x) for x in ends],
            linestyle="--",
            color="#7a4b00",
            linewidth=1.4,
            label="Trend",
        )
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_ylim(0.5, 7.5)
    ax.set_yticks(range(1, 8))
    ax.set_ylabel("Mean DMRS level")
    ax.set_title("Defensive functioning per session (7 = high-adaptive)", fontsize=11, loc="left")
    _time_axis(fig, ax, dates)
    return _render(fig)
