"""What the browser journeys share: the live server's handle and numbered screenshots."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from certflow.accounts import Accounts
from certflow.engine.runtime import Runtime


@dataclass
class LiveServer:
    """The app served on a free port, with the runtime behind it for what no page does (timers)."""

    url: str
    runtime: Runtime
    accounts: Accounts


class Screens:
    """Numbered screenshots of a journey in test-artifacts/, to look at after a run."""

    def __init__(self, artifacts: Path, journey: str) -> None:
        self.folder = artifacts / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shot(self, page: Any, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


DESKTOP = {"width": 1366, "height": 900}


def sign_in(browser: Any, live: LiveServer, username: str) -> Any:
    """A new page signed in as a demo person (password demo), on their inbox."""
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(f"{live.url}/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/inbox"))
    return page
