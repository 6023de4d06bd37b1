"""The modeler speaks Chinese: the palette's tools, an element's context pad and its change-element menu are
titled in Chinese (bpmn-js's translate service, certflow/web/static/bpmn-zh.js)."""

from __future__ import annotations

import re

from browserkit import LiveServer, sign_in

ENGLISH = re.compile(r"[A-Za-z]{2,}")
READ_TITLES = """(selector) => [...document.querySelectorAll(selector)]
    .map((el) => el.getAttribute('title') || el.getAttribute('aria-label') || el.textContent.trim())
    .filter(Boolean)"""


def test_the_palette_context_pad_and_change_menu_are_in_chinese(browser, live: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, live, "analyst")
    page.goto(f"{live.url}/modeling/drafts/application_online.bpmn")
    page.wait_for_selector("#canvas[data-ready=true]")

    palette = page.evaluate(READ_TITLES, ".djs-palette .entry")
    assert "创建任务" in palette and "创建开始事件" in palette and "抓手工具（拖动画布）" in palette
    assert [t for t in palette if ENGLISH.search(t)] == []

    page.click('.djs-element[data-element-id="pre_review"]', position={"x": 20, "y": 20})
    page.wait_for_selector(".djs-context-pad .entry")
    pad = page.evaluate(READ_TITLES, ".djs-context-pad .entry")
    assert "追加任务" in pad and "删除" in pad and "更改元素类型" in pad
    assert [t for t in pad if ENGLISH.search(t)] == []

    page.click('.djs-context-pad .entry[data-action="replace"]')
    page.wait_for_selector(".djs-popup .entry")
    menu = page.evaluate(READ_TITLES, ".djs-popup .entry")
    assert "服务任务" in menu and "脚本任务" in menu
    assert [t for t in menu if ENGLISH.search(t)] == []
    page.close()


def test_the_viewers_open_with_the_chinese_texts(browser, live: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, live, "analyst")
    page.goto(f"{live.url}/modeling/processes/application_online/compare?old=1&new=1")
    page.wait_for_selector(".diagram[data-ready=true] >> nth=1")
    page.close()
    auditor = sign_in(browser, live, "auditor")
    auditor.goto(f"{live.url}/cases/{live.runtime.case_numbers()[0]}")
    auditor.wait_for_selector("#diagram[data-ready=true]")
    auditor.close()
