"""Charts drawn on the server with matplotlib as SVG, so the web page and the PDF show the
very same picture. Tables of the same data sit beside them for screen readers."""

import datetime as dt
import io

# Pale band colours from better to worse; text on top stays dark enough to read.
BAND_COLOURS = ["#e3f1e6", "#f1f4dc", "#fbf0d4", "#fbe3d2", "#f7d6d6"]
LINE = "#1f5fa8"


def _render(fig) -> str:
    from matplotlib import rc_context

    buffer = io.StringIO()
    # A fixed salt and no date keep the SVG byte-identical for the same data.
    with rc_context({"svg.hashsalt": "psyplan", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(height: float = 2.8):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, height), dpi=100)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def measure_chart(definition, points: list[tuple[dt.date, int]]) -> str:
    """Totals over time with the measure's severity bands shaded behind them."""
    from matplotlib.dates import DateFormatter

    fig, ax = _figure()
    bands = definition.bands or []
    ordered = bands if definition.direction == "lower" else list(reversed(bands))
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
    ax.set_ylim(definition.min_score - 0.5, definition.max_score + 0.5)
    ax.set_ylabel("Total score")
    ax.set_title(f"{definition.name} over time", fontsize=11, loc="left")
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    if len(set(dates)) == 1:
        only = dates[0]
        ax.set_xlim(only - dt.timedelta(days=15), only + dt.timedelta(days=15))
    fig.autofmt_xdate()
    return _render(fig)


def objective_chart(series: list[tuple[str, list[tuple[dt.date, int]]]]) -> str:
    """Each objective's progress rating (0-100 %) across reviews; labels like "1.2" match the plan."""
    from matplotlib.dates import DateFormatter

    fig, ax = _figure(3.0)
    for label, points in series:
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linewidth=1.5, label=label)
    ax.set_ylim(-5, 105)
    ax.set_ylabel("Progress (%)")
    ax.set_title("Objectives across reviews", fontsize=11, loc="left")
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    if series:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.autofmt_xdate()
    return _render(fig)
