"""Reading pages in tests: the text inside one element, found by its id (stdlib parser only)."""
from __future__ import annotations

from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Section(HTMLParser):
    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.depth = 0  # > 0 while inside the element
        self.found = False
        self.text: list[str] = []
        self.attrs: list[dict] = []  # attributes of every tag inside (and of the element itself)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.attrs.append({"tag": tag, **attrs})
            if tag not in _VOID:
                self.depth += 1
        elif attrs.get("id") == self.element_id and not self.found:
            self.found = True
            self.attrs.append({"tag": tag, **attrs})
            self.depth = 1 if tag not in _VOID else 0

    def handle_endtag(self, tag):
        if self.depth and tag not in _VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def section(html: str, element_id: str) -> str:
    """The text of the element with ``id=element_id`` (whitespace collapsed); AssertionError if
    the page has no such element."""
    parser = _Section(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id} on the page"
    return " ".join("".join(parser.text).split())


def section_tags(html: str, element_id: str) -> list[dict]:
    """The tags inside the element with ``id=element_id``, each as {"tag", attributes...}."""
    parser = _Section(element_id)
    parser.feed(html)
    assert parser.found, f"no element #{element_id} on the page"
    return parser.attrs
