"""The SVG charts: well-formed, escaped, a tooltip per mark, the figures again as a table."""

from __future__ import annotations

from collections import Counter
from datetime import date

import lxml.html
from lxml import etree

from certflow.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def parts(markup: str) -> tuple[etree._Element, list[list[str]]]:
    """The SVG, parsed as XML (so it must be well-formed), and the fallback table's rows."""
    figure = lxml.html.fragment_fromstring(str(markup))
    svg_text = str(markup).split("<svg", 1)[1].split("</svg>")[0]
    svg = etree.fromstring(f"<svg{svg_text}</svg>")
    rows = [[cell.text_content() for cell in row] for row in figure.cssselect(".chart-data tr")]
    return svg, rows


def titles(svg: etree._Element) -> list[str]:
    return [title.text for title in svg.iter(f"{SVG}title")]


def test_round_ticks() -> None:
    assert charts._ticks(0) == [0, 1]
    assert charts._ticks(7) == [0, 2, 4, 6, 8]
    assert charts._ticks(3482) == [0, 1000, 2000, 3000, 4000]
    assert charts._ticks(7576) == [0, 2000, 4000, 6000, 8000]


def test_progress_line_accumulates_and_marks_targets_and_deadlines() -> None:
    daily = {"非目测": Counter({date(2022, 3, 20): 2, date(2022, 3, 18): 1}), "目测": Counter({date(2022, 4, 2): 4})}
    deadlines = [("非目测换证完成", date(2022, 3, 31)), ("目测换证完成", date(2022, 6, 30))]
    markup = charts.progress_line("p", "累计换证人数", daily, {"非目测": 5, "目测": 9}, deadlines, date(2022, 4, 10))
    svg, rows = parts(markup)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "p-title"
    found = titles(svg)
    assert found[0] == "累计换证人数"
    assert {"非目测 2022-03-18 累计 1 人", "非目测 2022-03-20 累计 3 人", "目测 2022-04-02 累计 4 人",
            "非目测目标 5 人", "目测目标 9 人", "非目测换证完成：2022-03-31", "今天：2022-04-10"} <= set(found)
    polyline = next(svg.iter(f"{SVG}polyline")).get("points").split()
    assert len(polyline) == 4  # from zero, two days, on to today
    assert rows[0] == ["日期", "非目测累计", "目测累计"]
    assert rows[1:4] == [["2022-03-18", "1", "0"], ["2022-03-20", "3", "0"], ["2022-04-02", "3", "4"]]
    assert rows[4] == ["目标", "5", "9"]


def test_progress_line_without_any_exchange_yet() -> None:
    svg, rows = parts(charts.progress_line("p", "进度", {}, {"非目测": 0, "目测": 0}, [], date(2022, 3, 16)))
    assert "非目测累计 0 人" in titles(svg) and rows[-1] == ["目标", "0", "0"]


def test_stacked_bars_split_each_row_and_total_it() -> None:
    rows = [("雄壁镇", {"已换证": 3, "待换证": 1}), ("葵山镇", {})]
    svg, table = parts(charts.stacked_bars("s", "办理状态", rows, ("已换证", "待换证", "其他"), "乡镇"))
    assert titles(svg) == ["办理状态", "雄壁镇 已换证：3 人", "雄壁镇 待换证：1 人"]
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert widths[0] == 3 * widths[1]
    assert table == [["乡镇", "已换证", "待换证", "其他", "合计"], ["雄壁镇", "3", "1", "0", "4"],
                     ["葵山镇", "0", "0", "0", "0"], ["合计", "3", "1", "0", "4"]]


def test_text_is_escaped() -> None:
    label = '<script>alert("x")</script> & 村'
    markup = str(charts.bars("b", "类别 <b>", [(label, 2)], "类别"))
    assert "<script>" not in markup and "<b>" not in markup
    svg, table = parts(markup)
    assert f"{label}：2 人" in titles(svg) and table[1] == [label, "2"]
