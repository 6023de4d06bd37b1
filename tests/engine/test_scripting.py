"""The restricted environment that runs diagram scripts and expressions.

Deployment refuses such scripts already (test_deploy); here the environment itself refuses them at
run time, so a script that slipped past the check still cannot reach the machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from certflow.engine.scripting import RestrictedEnvironment, ScriptError, lint

REFUSED = (SyntaxError, NameError, AttributeError, NotImplementedError)


@pytest.fixture
def env() -> RestrictedEnvironment:
    helpers = {"today": date(2026, 9, 30).isoformat, "double": lambda n: 2 * n}
    return RestrictedEnvironment(helpers, lambda data, name, params: {"called": name})


@pytest.mark.parametrize("script", [
    "import os",
    "import os\nos.system('touch {marker}')",
    "from os import system\nsystem('touch {marker}')",
    "x = 1\nimport subprocess",
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w').write('x')",
    "exec(\"open('{marker}', 'w')\")",
    "eval('1')",
    "classes = ().__class__.__subclasses__()",
    "classes = ().__class__.__base__.__subclasses__()",
    "b = __builtins__",
    "g = double.__globals__",
    "f = (x for x in [1]).gi_frame.f_back",
    "t = type(())",
    "a = getattr((), '__class__')",
    "s = '{{0.__class__}}'.format(())",
    "s = '{{x.__class__}}'.format_map({{'x': ()}})",
], ids=lambda s: s.splitlines()[-1][:40])
def test_execute_refuses_escapes(env: RestrictedEnvironment, tmp_path: Path, script: str) -> None:
    marker = tmp_path / "escaped"
    data: dict[str, Any] = {"applicant_name": "张三"}
    with pytest.raises(REFUSED):
        env.execute(script.format(marker=marker), data)
    assert not marker.exists()
    assert data == {"applicant_name": "张三"}


@pytest.mark.parametrize("expression", [
    "__import__('os')",
    "__import__('os').getcwd()",
    "open('/etc/passwd').read()",
    "().__class__.__subclasses__()",
    "[c for c in ().__class__.__mro__[1].__subclasses__()]",
    "today.__self__",
    "double.__code__",
    "(x for x in [1]).gi_frame",
    "globals()",
    "vars()",
    "dir()",
    "compile('1', 'x', 'eval')",
    "'{0.__class__}'.format(())",
    "import os",
], ids=lambda s: s[:40])
def test_evaluate_refuses_escapes(env: RestrictedEnvironment, expression: str) -> None:
    with pytest.raises(REFUSED):
        env.evaluate(expression, {"approved": True})


def test_the_refusal_says_why(env: RestrictedEnvironment) -> None:
    with pytest.raises(ScriptError, match="import is not allowed"):
        env.execute("import os", {})
    with pytest.raises(ScriptError, match="__subclasses__"):
        env.evaluate("().__class__.__subclasses__()", {})
    with pytest.raises(NameError, match="open"):
        env.evaluate("open('/etc/passwd')", {})


@pytest.mark.parametrize("source", ["hash(applicant_name) % 7", "id(parts)", "[hash(p['name']) for p in parts]"])
def test_calls_that_replay_could_not_repeat_are_refused(env: RestrictedEnvironment, source: str) -> None:
    with pytest.raises(ScriptError, match="could not be replayed"):
        env.evaluate(source, {"applicant_name": "王秀英", "parts": []})
    with pytest.raises(ScriptError, match="could not be replayed"):
        env.execute(f"x = {source}", {"applicant_name": "王秀英", "parts": []})
    assert lint(source, script=False) and lint(f"x = {source}", script=True)


def test_data_named_id_or_hash_is_still_read(env: RestrictedEnvironment) -> None:
    assert env.evaluate("id + hash", {"id": 1, "hash": 2}) == 3


@pytest.mark.parametrize(("expression", "expected"), [
    ("approved and grade <= 2", True),
    ("not approved or grade > 4", False),
    ("grade in (1, 2) and category == '肢体'", True),
    ("sorted(set(codes))", [1, 3, 5]),
    ("len(parts) + max(codes) - min(codes)", 6),
    ("sum(p['fee'] for p in parts)", 30),
    ("parts[0]['name']", "肢体"),
    ("parts[-1]['name'][0]", "视"),
    ("codes[1:3]", [1, 3]),
    ("[p['name'] for p in parts if p['fee'] > 10]", ["视力"]),
    ("{p['name']: p['fee'] for p in parts}", {"肢体": 10, "视力": 20}),
    ("{c % 2 for c in codes}", {1}),
    ("dict(a=1, b=[1, 2])", {"a": 1, "b": [1, 2]}),
    ("'、'.join(p['name'] for p in parts)", "肢体、视力"),
    ("f'{category}{grade}级'", "肢体2级"),
    ("sorted(parts, key=lambda p: -p['fee'])[0]['name']", "视力"),
    ("list(enumerate(['a', 'b']))", [(0, "a"), (1, "b")]),
    ("any(c > 4 for c in codes) and all(c > 0 for c in codes)", True),
    ("{'x': 1}.get('y', 'none')", "none"),
    ("double(grade)", 4),
    ("today()", "2026-09-30"),
    ("str(round(2.5)) + str(abs(-1))", "21"),
    ("isinstance(codes, list)", True),
], ids=lambda v: v if isinstance(v, str) else None)
def test_evaluate_allows_ordinary_expressions(env: RestrictedEnvironment, expression: str, expected: Any) -> None:
    data = {
        "approved": True, "grade": 2, "category": "肢体", "codes": [5, 1, 3, 1],
        "parts": [{"name": "肢体", "fee": 10}, {"name": "视力", "fee": 20}],
    }
    assert env.evaluate(expression, data) == expected


def test_execute_allows_ordinary_scripts(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {"parts": [{"name": "肢体", "fee": 10}, {"name": "视力", "fee": 20}], "grade": 2}
    script = """
total = 0
for part in parts:
    total += part["fee"]
names = sorted({p["name"] for p in parts})
label = ""
for index, name in enumerate(names):
    label += f"{index + 1}.{name} "
summary = {"total": total, "names": names}
summary["count"] = len(names)
summary["names"].append("听力")
extra = []
extra += [grade]
grade -= 1
first, second = parts
fees = [p["fee"] * 2 for p in parts]
due = today()
doubled = double(total)
if grade < 2:
    level = "重度"
else:
    level = "轻度"
"""
    env.execute(script, data)

    assert data["total"] == 30
    assert data["summary"] == {"total": 30, "names": ["肢体", "视力", "听力"], "count": 2}
    assert data["label"] == "1.肢体 2.视力 "
    assert data["extra"] == [2]
    assert data["grade"] == 1
    assert (data["first"]["name"], data["second"]["name"]) == ("肢体", "视力")
    assert data["fees"] == [20, 40]
    assert (data["due"], data["doubled"], data["level"]) == ("2026-09-30", 60, "重度")
    # Only the script's own variables land in the data: no helpers, guards or builtins.
    assert set(data) == {
        "parts", "grade", "total", "names", "label", "index", "name", "part", "summary", "extra", "first",
        "second", "fees", "due", "doubled", "level",
    }


def test_a_script_cannot_replace_a_helper_for_later_scripts(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {}
    env.execute("today = lambda: '2099-01-01'\nx = today()", data)
    assert data == {"x": "2099-01-01"}  # its own variable, for this script only
    assert env.evaluate("today()", data) == "2026-09-30"
    env.execute("y = today()", data)
    assert data == {"x": "2099-01-01", "y": "2026-09-30"}
