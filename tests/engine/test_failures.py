"""SpiffWorkflow's and Python's own words for a failed step, said in Chinese before anyone reads them."""

from __future__ import annotations

import pytest
from SpiffWorkflow.exceptions import WorkflowException

from certflow.engine.errors import describe
from certflow.engine.failures import in_words


@pytest.mark.parametrize(("said", "says"), [
    ("No conditions satisfied for decide",
     "网关各条路径的条件都不成立，又没有默认路径：请改正条件，或给网关加一条默认路径"),
    ("The data object could not be read; 'fees' does not exist in the process.",
     "数据对象 fees 还没有值：请在前面的环节给它赋值"),
    ("Multiinstance input item material already exists.",
     "多实例的输入项 material 与任务数据里已有的变量同名：请换一个名字"),
    ("Invalid duration", "定时器的时长写法不对：应为 ISO 8601 时长，如 PT5M、P3D"),
    ("Something SpiffWorkflow says.", "运行出错：Something SpiffWorkflow says"),
])
def test_spiffworkflows_own_words_are_said_in_chinese(said: str, says: str) -> None:
    assert in_words(WorkflowException(said)) == says


def test_an_error_in_pythons_words_is_led_by_its_kind_in_chinese_not_its_class() -> None:
    assert describe(ConnectionError("gateway unreachable")) == "连接失败：gateway unreachable"
    assert describe(ValueError("办理类型“续办”不对")) == "办理类型“续办”不对"  # the handlers' refusals as they are
    assert describe(ArithmeticError("overflow")) == "程序错误：overflow"


def test_spiffworkflows_words_inside_a_python_error_are_said_in_chinese_too() -> None:
    try:
        try:
            raise Exception("Invalid duration")  # as SpiffWorkflow's timer raises it
        except Exception as error:
            raise WorkflowException("Error evaluating expression 'period'") from error
    except WorkflowException as wrapped:
        assert in_words(wrapped).endswith("出错：定时器的时长写法不对：应为 ISO 8601 时长，如 PT5M、P3D")
