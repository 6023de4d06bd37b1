"""Draft names: the file a draft becomes, named as `certflow deploy processes forms` names it."""

from __future__ import annotations

import pytest

from certflow.engine.errors import ValidationFailed
from certflow.modeling.drafts import check_name, draft_name, source_name


@pytest.mark.parametrize(("deployed", "draft"), [
    ("processes/application_online.bpmn", "application_online.bpmn"),
    ("processes/hospital_routing.dmn", "hospital_routing.dmn"),
    ("shizong/card_exchange.bpmn", "shizong/card_exchange.bpmn"),
    ("forms/review.json", "forms/review.json"),
])
def test_a_draft_is_deployed_under_the_name_it_came_from(deployed: str, draft: str) -> None:
    assert draft_name(deployed) == draft
    assert check_name(draft) == draft
    assert source_name(draft) == deployed


@pytest.mark.parametrize("name", ["../x.bpmn", "processes/x.bpmn", "a/b/x.bpmn", "review.json", "forms/x.bpmn",
                                  "x.txt", "x .bpmn", ""])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        check_name(name)
