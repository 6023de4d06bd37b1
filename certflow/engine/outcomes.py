"""How a case of the certificate processes ended, in people's words: the one table every page, export and the
handlers' data names use. The processes set ``outcome`` at their end events; a value missing here is shown as
written, and the crawl of every page (tests/web/test_chinese_pages.py) finds it."""

from __future__ import annotations

OUTCOMES: dict[str, str] = {
    "issued": "已发证",
    "rejected": "申请未通过审核",
    "not_met": "经评定未达到残疾标准",
    # the exchange campaign (换证)
    "exchanged": "已换发新证",
    "new_card": "已补制新卡",
    "first_card": "已发首张残疾人证",
    "withdrawn": "康复脱残，已收回证件",
}
