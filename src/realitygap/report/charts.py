"""Charts as inline SVG: Altair specs rendered offline by vl-convert (no JavaScript, no network).

The same SVG goes into the HTML and, through WeasyPrint, into the PDF.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert as vlc

WIDTH = 560
FONT = "DejaVu Sans"


def to_svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_json()
    svg: str = vlc.vegalite_to_svg(spec)
    return svg


def dumbbell(frame: pd.DataFrame, label: str, left: str, right: str, title: str) -> str:
    """One row per ``label``: a line from ``left`` (e.g. actual) to ``right`` (predicted)."""
    order = list(frame.sort_values(right, key=lambda s: s - frame[left])[label])
    long = frame.melt(id_vars=[label], value_vars=[left, right], var_name="who", value_name="v")
    base = alt.Chart(long).encode(
        y=alt.Y(f"{label}:N", sort=order[::-1], title=None),
        x=alt.X("v:Q", title=title, scale=alt.Scale(zero=False)),
    )
    lines = base.mark_line(color="#999").encode(detail=f"{label}:N")
    points = base.mark_circle(size=80, opacity=1).encode(
        color=alt.Color(
            "who:N",
            scale=alt.Scale(domain=[left, right], range=["#1b7837", "#c51b7d"]),
            title=None,
        )
    )
    height = max(120, 18 * len(frame))
    return to_svg((lines + points).properties(width=WIDTH - 140, height=height))


def interval_bars(
    frame: pd.DataFrame, label: str, value: str, low: str, high: str, title: str
) -> str:
    """Horizontal bars with interval whiskers, largest first."""
    data = frame.dropna(subset=[value]).sort_values(value, ascending=False)
    base = alt.Chart(data).encode(y=alt.Y(f"{label}:N", sort=None, title=None))
    bars = base.mark_bar(color="#4c78a8").encode(x=alt.X(f"{value}:Q", title=title))
    whiskers = base.mark_rule(color="#222").encode(x=f"{low}:Q", x2=f"{high}:Q")
    height = max(100, 20 * len(data))
    return to_svg((bars + whiskers).properties(width=WIDTH - 160, height=height))


def lines(frame: pd.DataFrame, x: str, y: str, color: str, title: str, y_title: str) -> str:
    chart = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X(f"{x}:Q", title=title),
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(f"{color}:N", title=None),
        )
    )
    return to_svg(chart.properties(width=WIDTH - 120, height=220))


def quadrants(frame: pd.DataFrame, x: str, y: str, label: str, x_title: str, y_title: str) -> str:
    """A scatter with reference lines at the means, each point labelled."""
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=False)),
    )
    points = base.mark_circle(size=70, color="#4c78a8")
    text = base.mark_text(align="left", dx=6, fontSize=10).encode(text=f"{label}:N")
    rule_x = alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="#888").encode(x=f"mean({x}):Q")
    rule_y = alt.Chart(frame).mark_rule(strokeDash=[4, 4], color="#888").encode(y=f"mean({y}):Q")
    return to_svg((points + text + rule_x + rule_y).properties(width=WIDTH - 120, height=300))


def heatmap(frame: pd.DataFrame, x: str, y: str, value: str, title: str) -> str:
    chart = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:N", title=None),
            y=alt.Y(f"{y}:N", title=None),
            color=alt.Color(f"{value}:Q", title=title, scale=alt.Scale(scheme="blues")),
        )
    )
    return to_svg(chart.properties(width=WIDTH - 200, height=max(120, 18 * frame[y].nunique())))


def stacked_shares(frame: pd.DataFrame, y: str, color: str, value: str, title: str) -> str:
    """Horizontal 100% stacked bars (e.g. Kano category shares per feature and wave)."""
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{y}:N", title=None, sort=None),
            x=alt.X(f"{value}:Q", stack="normalize", title=title, axis=alt.Axis(format="%")),
            color=alt.Color(f"{color}:N", title=None),
        )
    )
    return to_svg(chart.properties(width=WIDTH - 180, height=max(100, 16 * frame[y].nunique())))
