"""Charts as inline SVG: Altair specs rendered offline by vl-convert (no JavaScript, no network).

The same SVG goes into the HTML and, through WeasyPrint, into the PDF.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import vl_convert as vlc

WIDTH = 560
FONT = "DejaVu Sans"

# A gradient legend's bar: a path "M0,0h{w}v{h}h-{w}Z" filled with url(#id).
_GRADIENT_BAR = re.compile(
    r'd="M0,0h(?P<w>[\d.]+)v(?P<h>[\d.]+)h-[\d.]+Z" fill="url\(#(?P<id>[\w-]+)\)"'
)


def to_svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_json()
    svg: str = vlc.vegalite_to_svg(spec)
    return gradients_in_user_space(svg)


def gradients_in_user_space(svg: str) -> str:
    """Vega draws a colour legend as a bar filled with a gradient in bounding-box units;
    WeasyPrint (70) paints such gradients as nothing, so the PDF lost every colour legend.
    The same gradient in user-space units (the bar's own size) looks the same everywhere."""
    for bar in _GRADIENT_BAR.finditer(svg):
        w, h, gid = float(bar["w"]), float(bar["h"]), bar["id"]
        start = re.search(rf'<linearGradient id="{re.escape(gid)}"([^>]*)>', svg)
        if start is None or "gradientUnits" in start[1]:
            continue
        ends = {k: float(v) for k, v in re.findall(r'(x1|x2|y1|y2)="([\d.]+)"', start[1])}
        coords = " ".join(
            f'{k}="{ends.get(k, 1.0 if k == "x2" else 0.0) * (w if k[0] == "x" else h):g}"'
            for k in ("x1", "x2", "y1", "y2")
        )
        svg = svg.replace(
            start[0], f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" {coords}>', 1
        )
    return svg


def dumbbell(
    frame: pd.DataFrame,
    label: str,
    left: str,
    right: str,
    title: str,
    domain: tuple[float, float],
) -> str:
    """One row per ``label``: a line from ``left`` (e.g. actual) to ``right`` (predicted), on
    the whole answer scale ``domain`` (a 1-5 scale starts at 1, never where the data start)."""
    order = list(frame.sort_values(right, key=lambda s: s - frame[left])[label])
    long = frame.melt(id_vars=[label], value_vars=[left, right], var_name="who", value_name="v")
    base = alt.Chart(long).encode(
        # room for the whole (already shortened) question text: no second cut by Vega
        y=alt.Y(f"{label}:N", sort=order[::-1], title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("v:Q", title=title, scale=alt.Scale(domain=list(domain), nice=False)),
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
    bars = base.mark_bar(color="#4c78a8").encode(
        x=alt.X(f"{value}:Q", title=title, scale=alt.Scale(zero=True))
    )
    whiskers = base.mark_rule(color="#222").encode(x=f"{low}:Q", x2=f"{high}:Q")
    height = max(100, 20 * len(data))
    return to_svg((bars + whiskers).properties(width=WIDTH - 160, height=height))


def axis_floor(values: pd.Series, step: float = 0.05) -> float:
    """Where a share axis starts: 0 unless every value is far above it, then a round cut
    below the smallest value (the axis title then says the axis is cut)."""
    low = float(values.min()) if len(values) else 0.0
    if low < 0.5:
        return 0.0
    return max(0.0, (low // step) * step - step)


def lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    title: str,
    y_title: str,
    months: bool = False,
) -> str:
    """Step lines of shares (Kaplan-Meier); the y axis starts at 0, or at a round cut that is
    drawn (a dashed line) and named in the axis title. ``months``: ``x`` holds dates, one
    per month, labelled as months ("Mar 2024")."""
    floor = axis_floor(frame[y])
    x_axis = (
        alt.X(f"{x}:T", title=title, axis=alt.Axis(format="%b %Y", labelAngle=-40))
        if months
        else alt.X(f"{x}:Q", title=title)
    )
    label = y_title if floor == 0 else f"{y_title} (axis cut at {floor:.0%})"
    layer = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after")
        .encode(
            x=x_axis,
            y=alt.Y(
                f"{y}:Q",
                title=label,
                scale=alt.Scale(domain=[floor, 1.0], nice=False),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(f"{color}:N", title=None),
        )
    )
    if floor > 0:
        cut = (
            alt.Chart(pd.DataFrame({"cut": [floor]}))
            .mark_rule(strokeDash=[6, 3], color="#c51b7d")
            .encode(y="cut:Q")
        )
        layer = layer + cut
    return to_svg(layer.properties(width=WIDTH - 120, height=220))


QUADRANT_NAMES = (
    # (right of the importance mean, above the performance mean) -> name (Martilla and James)
    ((True, False), "concentrate here"),
    ((True, True), "keep up the good work"),
    ((False, False), "low priority"),
    ((False, True), "possible overkill"),
)


def quadrants(
    frame: pd.DataFrame,
    x: str,
    y: str,
    label: str,
    x_title: str,
    y_title: str,
    names: tuple[tuple[tuple[bool, bool], str], ...] = QUADRANT_NAMES,
) -> str:
    """A scatter split at the means into four named quadrants (``names``: (right, top) ->
    name; by default importance x performance); each point carries a short key (e.g. its
    rank) that a table beside the chart explains, so labels stay short."""
    x_mid, y_mid = float(frame[x].mean()), float(frame[y].mean())
    x_lo, x_hi = 0.0, float(frame[x].max()) * 1.1
    # headroom above and below the points for the quadrant names
    pad = max(5.0, 0.12 * (float(frame[y].max()) - float(frame[y].min())))
    y_lo, y_hi = float(frame[y].min()) - pad, float(frame[y].max()) + pad
    xs = alt.Scale(domain=[x_lo, x_hi], nice=False)
    ys = alt.Scale(domain=[y_lo, y_hi], nice=False)
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", title=x_title, scale=xs), y=alt.Y(f"{y}:Q", title=y_title, scale=ys)
    )
    points = base.mark_circle(size=70, color="#4c78a8")
    labels = alt.Chart(_merge_close_labels(frame, x, y, label, (x_hi - x_lo, y_hi - y_lo)))
    text = labels.mark_text(align="left", dx=6, dy=-6, fontSize=9).encode(
        x=alt.X(f"{x}:Q", scale=xs), y=alt.Y(f"{y}:Q", scale=ys), text=f"{label}:N"
    )
    rules = pd.DataFrame({"x": [x_mid], "y": [y_mid]})
    rule_x = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color="#888").encode(x="x:Q")
    rule_y = alt.Chart(rules).mark_rule(strokeDash=[4, 4], color="#888").encode(y="y:Q")
    corners = pd.DataFrame(
        [
            {
                "qx": x_hi if right else x_lo,
                "qy": y_hi if top else y_lo,
                "name": name,
                "align": "right" if right else "left",
                "baseline": "top" if top else "bottom",
            }
            for (right, top), name in names
        ]
    )
    captions = [
        alt.Chart(corners.iloc[[i]].reset_index(drop=True))
        .mark_text(
            align=row["align"],
            baseline=row["baseline"],
            fontSize=10,
            fontWeight="bold",
            color="#c51b7d",
        )
        .encode(x=alt.X("qx:Q", scale=xs), y=alt.Y("qy:Q", scale=ys), text="name:N")
        for i, row in enumerate(corners.to_dict(orient="records"))
    ]
    chart = points + text + rule_x + rule_y
    for layer in captions:
        chart = chart + layer
    return to_svg(chart.properties(width=WIDTH - 120, height=300))


def _merge_close_labels(
    frame: pd.DataFrame, x: str, y: str, label: str, span: tuple[float, float]
) -> pd.DataFrame:
    """One label per cluster of points whose labels would touch (closer than 8% of the x span
    and 4% of the y span): "16, 17, 18", keys in order, so no two labels overlap."""
    rows: list[dict[str, object]] = []
    for rec in frame.sort_values([x, y]).to_dict(orient="records"):
        near = next(
            (
                r
                for r in rows
                if abs(float(r[x]) - float(rec[x])) < 0.08 * span[0]  # type: ignore[arg-type]
                and abs(float(r[y]) - float(rec[y])) < 0.04 * span[1]  # type: ignore[arg-type]
            ),
            None,
        )
        if near is None:
            rows.append({x: rec[x], y: rec[y], label: [str(rec[label])]})
        else:
            near[label].append(str(rec[label]))  # type: ignore[attr-defined]
    for r in rows:
        keys: list[str] = r[label]  # type: ignore[assignment]
        r[label] = ", ".join(sorted(keys, key=lambda k: (len(k), k)))  # 2 before 10
    return pd.DataFrame(rows, columns=[x, y, label])


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
