"""Three-way merge of a form step's values: what a page started from (the base), what is stored
now, and what the page sends. Values are ``{input name: [strings]}``; a missing key is None.

- A field only the page changed takes the page's value; a field only the store changed (another
  tab, device or the API) keeps the stored value; a field both changed the same way is that value.
- A field both changed differently is a conflict: neither side is chosen, both are reported, and
  the caller asks the person. Nothing either side changed is ever dropped silently.
"""


def merge(base, stored, incoming, *, keys=None):
    """``(merged, conflicts)``: merged values for ``keys`` (every key of the three by default), and
    ``{key: (incoming value, stored value)}`` for the fields both sides changed differently (the
    merged values keep the stored value there)."""
    keys = set(base) | set(stored) | set(incoming) if keys is None else set(keys)
    merged, conflicts = {}, {}
    for key in keys:
        was, now, sent = base.get(key), stored.get(key), incoming.get(key)
        if sent == was or sent == now:
            value = now
        elif now == was:
            value = sent
        else:
            value = now
            conflicts[key] = (sent, now)
        if value is not None:
            merged[key] = value
    return merged, conflicts
