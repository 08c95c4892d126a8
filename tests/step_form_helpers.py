"""A wizard step's page read as a browser reads it (the error summary, the inputs, what its form
would submit as shown), and the draft as stored; for tests/test_step_validation_*.py.
"""

import html
import re
from html.parser import HTMLParser

from sessions_store.store import get_draft_store


def load_draft(draft_id):
    draft, _ = get_draft_store().load(draft_id, slide=False)
    assert draft is not None, f"draft {draft_id} is not in Redis"
    return draft


def page(response):
    return response.content.decode()


def summary_links(response):
    """(href, text) of every link in the error summary at the top of the page."""
    match = re.search(r'<div class="error-summary".*?</div>', page(response), re.S)
    if match is None:
        return []
    return [
        (href, html.unescape(text))
        for href, text in re.findall(r'<li><a href="([^"]*)">(.*?)</a></li>', match.group(0), re.S)
    ]


def input_tag(response, name):
    match = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page(response))
    assert match, f"no <input name={name!r}> on the page"
    return match.group(0)


def input_value(response, name):
    match = re.search(r'\bvalue="([^"]*)"', input_tag(response, name))
    return html.unescape(match.group(1)) if match else None


class _FormReader(HTMLParser):
    """What a browser would submit from the form ``form_id`` as shown (buttons and files left out)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._textarea = None

    def _add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a["name"], a.get("value") or "on")
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._add(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select = (a.get("name"), [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value") or "", "selected" in a))
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [options[0][0]]
            self._add(name, chosen[-1])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._add(name, text[1:] if text.startswith("\n") else text)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def form_data(response, form_id="step-form"):
    reader = _FormReader(form_id)
    reader.feed(page(response))
    return reader.fields
