"""The restricted environment that runs diagram scripts and expressions.

Deployment refuses such scripts already (test_deploy); here the environment itself refuses them at
run time, so a script that slipped past the check still cannot reach the machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from certflow.engine.budget import BudgetExceeded, Limits
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
    with pytest.raises(ScriptError, match="脚本里不能用 import"):
        env.execute("import os", {})
    with pytest.raises(ScriptError, match="__subclasses__"):
        env.evaluate("().__class__.__subclasses__()", {})
    with pytest.raises(NameError, match="open"):
        env.evaluate("open('/etc/passwd')", {})


@pytest.mark.parametrize("source", ["hash(applicant_name) % 7", "id(parts)", "[hash(p['name']) for p in parts]"])
def test_calls_that_replay_could_not_repeat_are_refused(env: RestrictedEnvironment, source: str) -> None:
    with pytest.raises(ScriptError, match="重放案件历史时无法得到同样的结果"):
        env.evaluate(source, {"applicant_name": "王秀英", "parts": []})
    with pytest.raises(ScriptError, match="重放案件历史时无法得到同样的结果"):
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
    ("max(*codes)", 5),
    ("dict(**{'a': 1}, b=2)", {"a": 1, "b": 2}),
    ("double(*[grade])", 4),
    ("str(round(2.5)) + str(abs(-1))", "21"),
    ("isinstance(codes, list)", True),
    # the growing operators and methods, checked by the budget, still give their ordinary results
    ("'ab' * 3 + 2 * 'c'", "abababcc"),
    ("[0] * 2 + [1]", [0, 0, 1]),
    ("2 ** 10 + pow(2, 3) + (1 << 4) + 7 * 6", 1090),
    ("'%05d/%.2f' % (grade, 1.5)", "00002/1.50"),
    ("category.ljust(4, '-') + 'x'.zfill(3) + 'a\tb'.expandtabs(2) + 'aba'.replace('a', 'cc')", "肢体--00xa bccbcc"),
    ("f'{grade:>3}|{1.5:.1f}'", "  2|1.5"),
    ("list(range(2, 8, 3))", [2, 5]),
    ("codes * 0", []),
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


@pytest.mark.parametrize("source", [
    "'x' * 10 ** 10",
    "10 ** 10 * 'x'",
    "[0] * 10 ** 10",
    "(1, 2) * 10 ** 9",
    "2 ** 10 ** 10",
    "pow(3, 10 ** 8)",
    "1 << 10 ** 10",
    "(2 ** 60000) * (2 ** 60000)",
    "'%2000000000d' % 1",
    "'%*d' % (2000000000, 1)",
    "'x'.ljust(10 ** 10)",
    "'x'.center(10 ** 10)",
    "'\\t'.expandtabs(10 ** 10)",
    "('a' * 100000).replace('a', 'b' * 1000)",
    "('a' * 1000).join(['b'] * 10000)",
    "list(range(10 ** 10))",
    "len([c for c in range(10 ** 12)])",
    "('a' * 600000) + ('b' * 600000)",
], ids=lambda s: s[:40])
def test_a_huge_value_is_refused_before_it_is_built(env: RestrictedEnvironment, source: str) -> None:
    with pytest.raises(BudgetExceeded, match="超过上限|不能用 \\* 给出宽度"):
        env.evaluate(source, {})
    data: dict[str, Any] = {}
    with pytest.raises(BudgetExceeded, match="超过上限|不能用 \\* 给出宽度"):
        env.execute(f"value = {source}", data)
    assert "value" not in data


def test_growing_a_value_in_place_is_checked_too(env: RestrictedEnvironment) -> None:
    with pytest.raises(BudgetExceeded, match="超过上限"):
        env.execute("text = 'ab'\nfor i in range(30):\n    text *= 2", {})
    with pytest.raises(BudgetExceeded, match="超过上限"):
        env.execute("text = 'ab'\nfor i in range(30):\n    text += text", {})


@pytest.mark.parametrize(("source", "reason"), [
    ("try:\n    x = 1\nexcept:\n    x = 2", "第 3 行：except 必须直接写出要拦住的异常类"),
    ("try:\n    x = 1\nexcept (KeyError, BaseException):\n    x = 2", "第 3 行：except 必须直接写出要拦住的异常类"),
    ("try:\n    x = 1\nexcept Exception.mro()[1]:\n    x = 2", "第 3 行：except 必须直接写出要拦住的异常类"),
    ("KeyError = Exception.mro()[1]", "第 1 行：不能把异常类的名字（KeyError）用作变量名"),
    ("def f(ValueError):\n    return 1", "第 1 行：不能把异常类的名字（ValueError）用作变量名"),
    ("s = f'{1:>2000000000}'", "格式说明里的宽度或精度必须是不超过 1000000 的数字"),
    ("n = 5\ns = f'{1:>{n}}'", "格式说明里的宽度或精度必须是不超过 1000000 的数字"),
])
def test_what_could_outrun_the_budget_is_refused_at_deploy(source: str, reason: str) -> None:
    assert reason in (lint(source, script=True) or "")


def test_a_script_may_still_catch_an_ordinary_error() -> None:
    assert lint("try:\n    x = a\nexcept (NameError, KeyError) as missing:\n    x = 1\nfinally:\n    y = 2",
                script=True) is None


def test_a_script_over_its_cpu_budget_is_stopped() -> None:
    env = RestrictedEnvironment({}, lambda data, name, params: None, Limits(script_cpu_seconds=0.2, step_seconds=5))
    with pytest.raises(BudgetExceeded, match="脚本占用 CPU 超过 0.2 秒|用时超过 5 秒"):
        env.execute("n = 0\nwhile True:\n    n += 1", {})
    with pytest.raises(BudgetExceeded, match="脚本占用 CPU 超过 0.2 秒|用时超过 5 秒"):
        env.evaluate("[a * b for a in range(10 ** 6) for b in range(10 ** 6)]", {})
    # Catching Exception is no way out: the interruption is not one.
    with pytest.raises(BudgetExceeded, match="脚本占用 CPU 超过 0.2 秒|用时超过 5 秒"):
        env.execute("while True:\n    try:\n        while True:\n            pass\n    except Exception:\n"
                    "        pass\n    finally:\n        pass", {})
