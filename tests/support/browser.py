"""A browser without JavaScript, over real HTTP: ``requests`` plus the forms scraped from each page.

It posts a form the way a browser does: every hidden input of the form (the CSRF token, the
wizard's management form, the connector formset's management form and anything added later, such
as a draft version) goes back as it was, with the visible fields filled in by the test.

The app servers run with production settings behind an imagined TLS-terminating proxy: every
request carries ``X-Forwarded-Proto: https`` (the README's proxy contract), so Django marks its
cookies Secure and checks the Origin of each POST. The cookie jar sends Secure cookies over the
plain-HTTP loopback, as a browser would over the proxy's HTTPS (requests copies its jar into a
default-policy jar for every request, so the flag is taken off the stored cookies instead).
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"id": attrs.get("id"), "action": attrs.get("action") or "", "hidden": [], "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind == "hidden":
                self._form["hidden"].append((attrs["name"], attrs.get("value") or ""))
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form["fields"].setdefault(attrs["name"], []).append(attrs.get("value") or "on")
            elif kind != "file":
                self._form["fields"][attrs["name"]] = [attrs.get("value") or ""]
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self._form["fields"][self._textarea] = [""]
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self._form["fields"].setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self._form["fields"][self._select].append(attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["fields"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # The newline after <textarea> is not part of the value (HTML parsing rule).
            fields = self._form["fields"]
            fields[self._textarea][0] = fields[self._textarea][0].removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def parse_forms(text):
    """Every form of a page: id, action, hidden inputs, and the values its fields would submit."""
    parser = _Forms()
    parser.feed(text)
    return parser.forms


def form_payload(text, form_id="step-form"):
    """What a browser submits from a form as rendered (hidden inputs and fields; no files)."""
    form = next(form for form in parse_forms(text) if form["id"] == form_id)
    payload = {}
    for name, value in form["hidden"]:
        payload.setdefault(name, []).append(value)
    for name, values in form["fields"].items():
        payload.setdefault(name, []).extend(values)
    return payload


class Page:
    def __init__(self, response):
        self.response = response
        self.url = response.url
        self.status = response.status_code
        self.text = response.text
        self._forms = None

    def form(self, form_id="step-form"):
        if self._forms is None:
            self._forms = parse_forms(self.text)
        for form in self._forms:
            if form_id is None or form["id"] == form_id:
                return form
        raise AssertionError(f"no form {form_id!r} on {self.url} ({self.status}):\n{self.text[:2000]}")


class Browser:
    def __init__(self, base_url, user_agent="Mozilla/5.0 (X11; Linux x86_64) reliability-tests/1.0", timeout=30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": user_agent, "X-Forwarded-Proto": "https"})
        self.timings = []  # seconds per response, for load reports

    def url(self, path):
        return urljoin(self.base_url + "/", path.lstrip("/")) if not path.startswith("http") else path

    def _origin(self, url):
        return f"https://{urlsplit(url).netloc}"

    def _behind_tls_proxy(self, response):
        self.timings.append(response.elapsed.total_seconds())
        for cookie in self.session.cookies:
            cookie.secure = False
        return Page(response)

    def get(self, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self._behind_tls_proxy(self.session.get(self.url(path), timeout=self.timeout, **kwargs))

    def post(self, path, data, files=None):
        url = self.url(path)
        response = self.session.post(
            url, data=data, files=files, allow_redirects=False, timeout=self.timeout,
            headers={"Origin": self._origin(url)},
        )
        return self._behind_tls_proxy(response)

    def submit(self, page, data=None, files=None, form_id="step-form", keep_fields=False):
        """POST a form of ``page`` with its hidden inputs (and, with ``keep_fields``, its values)."""
        form = page.form(form_id)
        payload = list(form["hidden"])
        if keep_fields:
            payload += [(name, value) for name, values in form["fields"].items() for value in values]
        overridden = set(data or {})
        payload = [(name, value) for name, value in payload if name not in overridden]
        for name, value in (data or {}).items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                payload.append((name, item))
        action = urljoin(page.url, form["action"]) if form["action"] else page.url
        # Redirected by the app to another server? The form posts where the test points it.
        action = self.url(urlsplit(action).path)
        return self.post(action, payload, files=files)

    def location(self, page):
        assert page.status in (301, 302, 303), (page.status, page.url, page.text[:3000])
        return urlsplit(page.response.headers["Location"]).path

    def follow(self, page):
        return self.get(self.location(page))

    def on(self, base_url):
        """The same browser (same cookies) talking to another app server."""
        other = Browser.__new__(Browser)
        other.__dict__.update(self.__dict__)
        other.base_url = base_url.rstrip("/")
        return other

    def sign_in(self, username, password, next_path=None):
        page = self.get("/accounts/login/" + (f"?next={next_path}" if next_path else ""))
        assert page.status == 200, page.status
        data = {"username": username, "password": password}
        if next_path:
            data["next"] = next_path
        response = self.submit(page, data, form_id=None)
        assert response.status == 302, f"sign-in failed ({response.status}): {response.text[:1500]}"
        if urlsplit(response.response.headers["Location"]).path == "/projects/drafts/move/":
            # Asked whether to move this browser's drafts into the account: "Move them" (issue 12 L3).
            page = self.follow(response)
            response = self.submit(page, {"choice": "move"}, form_id="drafts-move-form")
        return response
