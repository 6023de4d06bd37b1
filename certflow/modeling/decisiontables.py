"""A DMN decision table as rows of cells, and edited rows written back into the DMN file.

Only the table changes: its rules, and its columns' labels and expressions. Everything else in the file
is kept as it was, so a table edited here still opens in other DMN editors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from lxml import etree

from certflow.engine.errors import NotFound
from certflow.modeling.xmlfiles import local, parse


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    text: str  # an input's expression, an output's variable name


@dataclass(frozen=True)
class Row:
    id: str  # "" for a rule added on the page
    description: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.description or any(self.inputs) or any(self.outputs))


@dataclass(frozen=True)
class Table:
    decision_id: str
    name: str
    hit_policy: str
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    rows: tuple[Row, ...]


def decisions(content: str) -> list[tuple[str, str]]:
    """(id, name) of each decision in the file that has a table."""
    root = parse(content)
    if root is None:
        return []
    return [(el.get("id", ""), el.get("name", "") or el.get("id", "")) for el in root.iter()
            if local(el) == "decision" and _child(el, "decisionTable") is not None]


def read_table(content: str, decision_id: str) -> Table:
    _, decision, table = _table_element(content, decision_id)
    return Table(
        decision_id=decision_id,
        name=decision.get("name") or decision_id,
        hit_policy=table.get("hitPolicy", "UNIQUE"),
        inputs=tuple(Column(el.get("id", ""), el.get("label", ""), _text(_child(el, "inputExpression")))
                     for el in _children(table, "input")),
        outputs=tuple(Column(el.get("id", ""), el.get("label", ""), el.get("name", ""))
                      for el in _children(table, "output")),
        rows=tuple(Row(rule.get("id", ""), _text(rule, "description"),
                       tuple(_text(e) for e in _children(rule, "inputEntry")),
                       tuple(_text(e) for e in _children(rule, "outputEntry")))
                   for rule in _children(table, "rule")),
    )


def posted_table(table: Table, values: Callable[[str], list[str]]) -> Table:
    """The table as a page posted it: one list per column of cells, rows in order; empty rows are dropped.

    ``values(name)`` is the posted list of that name (``request.form.getlist``).
    """
    inputs = [values(f"in_{i}") for i in range(len(table.inputs))]
    outputs = [values(f"out_{i}") for i in range(len(table.outputs))]
    descriptions = values("description")
    rows = [
        Row(rule_id.strip(), _at(descriptions, n), tuple(_at(c, n) for c in inputs), tuple(_at(c, n) for c in outputs))
        for n, rule_id in enumerate(values("rule_id"))
    ]
    return replace(
        table,
        inputs=_columns(table.inputs, values("input_label"), values("input_text")),
        outputs=_columns(table.outputs, values("output_label"), values("output_text")),
        rows=tuple(row for row in rows if not row.empty),
    )


def write_table(content: str, table: Table) -> str:
    """The DMN file with ``table`` in place of its decision's table; rules keep their ids, new ones get new ids."""
    root, _, element = _table_element(content, table.decision_id)
    namespace = etree.QName(element).namespace
    for column, el in zip(table.inputs, _children(element, "input"), strict=False):
        el.set("label", column.label)
        _set_text(_child(el, "inputExpression"), column.text)
    for column, el in zip(table.outputs, _children(element, "output"), strict=False):
        el.set("label", column.label)
        el.set("name", column.text)
    earlier = {rule.get("id"): rule for rule in _children(element, "rule")}
    for rule in earlier.values():
        element.remove(rule)
    for row in table.rows:
        element.append(_rule(namespace, row, earlier.pop(row.id, None)))
    etree.indent(element, space="  ", level=len(list(element.iterancestors())))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{etree.tostring(root, encoding="unicode")}\n'


def _rule(namespace: str | None, row: Row, earlier: etree._Element | None) -> etree._Element:
    """A rule element for the row, keeping the ids of the rule it was (and of its entries)."""
    def tag(name: str) -> str:
        return _tag(namespace, name)

    rule_id = row.id if earlier is not None else _new_id("rule")  # the rule was found by its id
    rule = etree.Element(tag("rule"), id=rule_id)
    if row.description:
        etree.SubElement(rule, tag("description")).text = row.description
    for kind, texts in (("inputEntry", row.inputs), ("outputEntry", row.outputs)):
        ids = [e.get("id") for e in _children(earlier, kind)]
        for n, text in enumerate(texts):
            kept = ids[n] if n < len(ids) else None
            entry = etree.SubElement(rule, tag(kind), id=kept or _new_id(f"{rule_id}_{kind}"))
            etree.SubElement(entry, tag("text")).text = text
    return rule


def _table_element(content: str, decision_id: str) -> tuple[etree._Element, etree._Element, etree._Element]:
    """The file's root, the decision and its table."""
    root = parse(content)
    if root is not None:
        for decision in root.iter():
            if local(decision) == "decision" and decision.get("id", "") == decision_id:
                table = _child(decision, "decisionTable")
                if table is not None:
                    return root, decision, table
    raise NotFound(f"这个文件里没有 id 为 {decision_id} 的决策表；请从文件的决策列表中重新选择")


def _columns(columns: tuple[Column, ...], labels: list[str], texts: list[str]) -> tuple[Column, ...]:
    # An emptied expression or variable name keeps the one it had: a column without one cannot work.
    return tuple(replace(c, label=_at(labels, n), text=_at(texts, n) or c.text) for n, c in enumerate(columns))


def _at(values: list[str], n: int) -> str:
    return values[n].strip() if n < len(values) else ""


def _tag(namespace: str | None, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _children(el: etree._Element | None, name: str) -> list[etree._Element]:
    return [child for child in el if local(child) == name] if el is not None else []


def _child(el: etree._Element | None, name: str) -> etree._Element | None:
    found = _children(el, name)
    return found[0] if found else None


def _text(el: etree._Element | None, name: str = "text") -> str:
    """The text of ``el``'s child ``name`` (an entry's or expression's <text>), stripped."""
    child = _child(el, name)
    return (child.text or "").strip() if child is not None else ""


def _set_text(el: etree._Element | None, text: str) -> None:
    if el is None:
        return
    child = _child(el, "text")
    if child is None:
        child = etree.SubElement(el, _tag(etree.QName(el).namespace, "text"))
    child.text = text
