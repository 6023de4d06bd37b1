"""Charts as inline SVG, drawn on the server from figures: no script, nothing to download, printable.

Each function returns a ``<figure>``: the SVG (``role="img"``, every line, point and bar with a ``<title>``
that the browser shows as a tooltip) and the same figures as a table, which screen readers read and print
shows; on screen the table is hidden (``.chart-data`` in app.css). All text is escaped here. No Flask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from itertools import cycle

from markupsafe import Markup, escape

# Colours readable on white and told apart by people with red-green colour blindness.
PALETTE = ("#2f7d32", "#1d5fa8", "#c05600", "#7b3fa0", "#8a96a3", "#b8860b", "#008b8b", "#a61b1b")
WIDTH = 760
FONT = 12


def _ticks(top: int, count: int = 5) -> list[int]:
    """Round steps (1, 2, 5 × 10^n) from 0 to at least ``top``, at most ``count`` steps."""
    step, factors = 1, cycle((2, 2.5, 2))  # 1, 2, 5, 10, 20, 50, …
    while step * count < top:
        step = round(step * next(factors))
    return list(range(0, -(-max(top, 1) // step) * step + 1, step))


def _months(first: date, last: date) -> list[date]:
    """The first days of the months between ``first`` and ``last``, for the time axis's labels."""
    found, day = [], first.replace(day=1)
    while day <= last:
        if day >= first:
            found.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return found


def _figure(chart_id: str, title: str, svg_body: str, height: int, table: str) -> Markup:
    return Markup(
        f'<figure class="chart" id="{escape(chart_id)}">'
        f'<figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title" font-size="{FONT}">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>{svg_body}</svg>'
        f'<div class="chart-data"><table>{table}</table></div></figure>'
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr><th>{escape(row[0])}</th>{''.join(f'<td>{escape(v)}</td>' for v in row[1:])}</tr>" for row in rows)
    return f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"


def _legend(names: Sequence[str], colors: Mapping[str, str], y: int, x: int = 0) -> str:
    parts = []
    for name in names:
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colors[name]}"/>'
                     f'<text x="{x + 16}" y="{y}">{escape(name)}</text>')
        x += 28 + FONT * len(name)
    return "".join(parts)


def colors_for(names: Sequence[str]) -> dict[str, str]:
    """A colour of the palette per name, in order."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def progress_line(
    chart_id: str, title: str, daily: Mapping[str, Mapping[date, int]], targets: Mapping[str, int],
    deadlines: Sequence[tuple[str, date]], today: date, unit: str = "人",
) -> Markup:
    """Cumulative totals over time, a line per series (from its count per day), each with its target as a
    dashed level; the deadlines are vertical marks. The time axis runs from the first day of data or
    deadline to the last, and the lines go on to today when it lies within."""
    names = list(targets)
    colors = colors_for(names)
    days = sorted({d for counts in daily.values() for d in counts} | {d for _, d in deadlines})
    if not days:
        days = [today]
    start, end = days[0] - timedelta(days=1), max(days[-1], days[0] + timedelta(days=1))
    top = max([*targets.values(), *(sum(c.values()) for c in daily.values()), 1])
    ticks = _ticks(top)
    left, right, upper, lower = 56, 150, 34, 36
    height = 300
    plot_w, plot_h = WIDTH - left - right, height - upper - lower
    base = upper + plot_h  # the time axis

    def x(day: date) -> float:
        return round(left + plot_w * (day - start).days / (end - start).days, 1)

    def y(value: int) -> float:
        return round(upper + plot_h * (1 - value / ticks[-1]), 1)

    parts = [_legend(names, colors, 14, left)]
    for tick in ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick)}" y2="{y(tick)}" stroke="#e4e9f0"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end">{tick}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{upper}" y2="{base}" stroke="#9aa5b1"/>'
                 f'<line x1="{left}" x2="{left + plot_w}" y1="{base}" y2="{base}" stroke="#9aa5b1"/>'
                 f'<text x="{left}" y="{height - 8}">{start.month}月{start.day}日</text>'
                 f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">{end.month}月{end.day}日</text>')
    for month in _months(start, end):
        if not x(start) + 60 < x(month) < x(end) - 60:  # would run into the first or last day's label
            continue
        parts.append(f'<line x1="{x(month)}" x2="{x(month)}" y1="{upper}" y2="{base}" stroke="#eef2f7"/>'
                     f'<text x="{x(month)}" y="{height - 8}" text-anchor="middle">{month.month}月</text>')
    for name, day in deadlines:
        label = f"{name}：{day.isoformat()}"
        parts.append(f'<g class="deadline"><title>{escape(label)}</title>'
                     f'<line x1="{x(day)}" x2="{x(day)}" y1="{upper}" y2="{base}" stroke="#a61b1b" '
                     f'stroke-dasharray="5 3"/><text x="{x(day) - 4}" y="{base - 6}" text-anchor="end" '
                     f'fill="#a61b1b">{escape(day.strftime("%m-%d"))}</text></g>')
    if start < today < end:
        parts.append(f'<g class="today"><title>今天：{escape(today.isoformat())}</title><line x1="{x(today)}" '
                     f'x2="{x(today)}" y1="{upper}" y2="{base}" stroke="#616e7c" stroke-dasharray="2 3"/>'
                     f'<text x="{x(today) + 4}" y="{upper + 12}" fill="#616e7c">今天</text></g>')
    rows: dict[date, dict[str, int]] = {}
    for name in names:
        color, target, total = colors[name], targets[name], 0
        label = f"{name}目标 {target} {unit}"
        parts.append(f'<g class="target"><title>{escape(label)}</title><line x1="{left}" x2="{left + plot_w}" '
                     f'y1="{y(target)}" y2="{y(target)}" stroke="{color}" stroke-dasharray="8 4"/>'
                     f'<text x="{left + plot_w + 6}" y="{y(target) + 4}" fill="{color}">{escape(label)}</text></g>')
        points, dots = [f"{x(start)},{y(0)}"], []
        for day in sorted(daily.get(name, {})):
            total += daily[name][day]
            rows.setdefault(day, {})[name] = total
            points.append(f"{x(day)},{y(total)}")
            dots.append(f'<circle cx="{x(day)}" cy="{y(total)}" r="3" fill="{color}">'
                        f'<title>{escape(f"{name} {day.isoformat()} 累计 {total} {unit}")}</title></circle>')
        if start < today < end:
            points.append(f"{x(today)},{y(total)}")
        parts.append(f'<g class="series"><title>{escape(f"{name}累计 {total} {unit}")}</title>'
                     f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>'
                     f'{"".join(dots)}</g>')
    running = dict.fromkeys(names, 0)
    table_rows = []
    for day in sorted(rows):
        running.update(rows[day])
        table_rows.append([day.isoformat(), *(running[name] for name in names)])
    table_rows.append(["目标", *(targets[name] for name in names)])
    table_rows += [[f"{name}（截止）", day.isoformat(), *[""] * (len(names) - 1)] for name, day in deadlines]
    return _figure(chart_id, title, "".join(parts), height, _table(["日期", *(f"{n}累计" for n in names)], table_rows))


def stacked_bars(
    chart_id: str, title: str, rows: Sequence[tuple[str, Mapping[str, int]]], keys: Sequence[str], rows_are: str,
    colors: Mapping[str, str] | None = None, unit: str = "人",
) -> Markup:
    """A horizontal bar per row, split by ``keys`` in that order, its total at the end; ``rows_are`` heads the
    column of the rows' labels in the table read out instead of the drawing."""
    colors = colors or colors_for(keys)
    label_w, row_h, upper = 120, 26, 30
    plot_w = WIDTH - label_w - 60
    height = upper + row_h * len(rows) + 10
    totals = [sum(counts.get(k, 0) for k in keys) for _, counts in rows]
    top = max([*totals, 1])
    parts = [_legend(keys, colors, 14, label_w)]
    for i, ((label, counts), total) in enumerate(zip(rows, totals, strict=True)):
        y, x = upper + i * row_h, float(label_w)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        for key in keys:
            n = counts.get(key, 0)
            if n:
                width = round(plot_w * n / top, 1)
                parts.append(f'<rect x="{round(x, 1)}" y="{y + 3}" width="{width}" height="{row_h - 8}" '
                             f'fill="{colors[key]}"><title>{escape(f"{label} {key}：{n} {unit}")}</title></rect>')
                x += width
        parts.append(f'<text x="{round(x + 6, 1)}" y="{y + 15}">{total}</text>')
    table_rows = [[label, *(counts.get(k, 0) for k in keys), total]
                  for (label, counts), total in zip(rows, totals, strict=True)]
    table_rows.append(["合计", *(sum(c.get(k, 0) for _, c in rows) for k in keys), sum(totals)])
    return _figure(chart_id, title, "".join(parts), height, _table([rows_are, *keys, "合计"], table_rows))


def bars(chart_id: str, title: str, items: Sequence[tuple[str, int]], items_are: str, color: str = PALETTE[1],
         unit: str = "人") -> Markup:
    """A horizontal bar per item, its count at the end; ``items_are`` heads the column of their labels."""
    label_w, row_h, upper = 120, 26, 8
    plot_w = WIDTH - label_w - 60
    height = upper + row_h * len(items) + 10
    top = max([n for _, n in items] + [1])
    parts = []
    for i, (label, n) in enumerate(items):
        y, width = upper + i * row_h, round(plot_w * n / top, 1)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row_h - 8}" fill="{color}">'
                     f'<title>{escape(f"{label}：{n} {unit}")}</title></rect>'
                     f'<text x="{label_w + width + 6}" y="{y + 15}">{n}</text>')
    table = _table([items_are, unit], [[label, n] for label, n in items])
    return _figure(chart_id, title, "".join(parts), height, table)
