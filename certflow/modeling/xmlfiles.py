"""Reading the XML of diagrams and decision tables safely: no entities, no DTDs, no network."""

from __future__ import annotations

from lxml import etree

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(text: str) -> etree._Element | None:
    """The document's root, or None when it is not well-formed (a deployment says where)."""
    try:
        return etree.fromstring(text.encode("utf-8"), _SAFE)
    except etree.XMLSyntaxError:
        return None


def local(el: etree._Element) -> str:
    """The tag without its namespace: DMN files come in several namespaces (1.1 to 1.5)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""
