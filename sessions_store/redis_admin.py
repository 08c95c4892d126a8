"""Staff queries of the Redis draft store: one page of drafts, read from the indexes.

Search is token-prefix search: a draft is found when every word of the query starts one of its
words (the describer's search text, lowercased; an email is also a word by its domain), or, for a
single word of 6 or more hex digits, when its id starts with it. The index is a B+tree of small
sorted sets read with ZRANGEBYLEX (redis_scripts._SEARCH_INDEX): O(log n + k).
"""

import hashlib
import re
import uuid

from django.conf import settings

from .connection import make_key, redis, unavailable_on_redis_error
from .redis_scripts import INTERSECT_CHUNK, INTERSECTION_PAGE, SEARCH, script

SORT_INDEXES = {"last_activity": "index", "created": "index:created"}
SEARCH_LIMIT = 2000  # drafts a search finds at most
SEARCH_READ_LIMIT = 20000  # index entries a search reads at most (its driver word's range)
WORD_BYTES = 40  # a word is cut there: index entries stay under Redis' 64-byte compact-encoding limit
INTERSECTION_SECONDS = 30  # a filtered page's intersection is reused this long while paging
INTERSECTION_CHUNK = 1000  # driver entries per INTERSECT_CHUNK call (a few ms of Redis each)
_EDGES = "\"'()[]{}<>.,;:!?*/\\`~^|"
_ID_PREFIX = re.compile(r"[0-9a-f-]+")


def search_words(text, *, emails=True):
    """The words staff search finds a draft by (or a query looks for): lowercase, split at white
    space, trimmed of punctuation at their ends, cut at WORD_BYTES bytes; with ``emails``, an
    email also gives its domain ("ops@kestrel.example" and "kestrel.example")."""
    cleaned = "".join(ch if ch.isprintable() and ch != "|" else " " for ch in text.lower())
    words = []
    for raw in cleaned.split():
        word = raw.strip(_EDGES)
        for variant in [word, word.rsplit("@", 1)[1]] if emails and "@" in word else [word]:
            variant = variant.encode()[:WORD_BYTES].decode(errors="ignore")
            if variant and variant not in words:
                words.append(variant)
    return words


def search_generation(moment):
    """The staff search index's generation a draft's words written at ``moment`` go in (its
    tombstone's "g"; redis_scripts._SEARCH_INDEX): named by its first second, not by its number,
    so that generations written before DRAFT_SEARCH_GENERATION changed still end on time."""
    length = settings.DRAFT_SEARCH_GENERATION
    return int(moment.timestamp() // length) * length


def id_range(word):
    """``(low, high)``: the 16-byte ids that start with ``word``'s hex digits, when it has 6 to 32."""
    digits = word.replace("-", "")
    if not _ID_PREFIX.fullmatch(word) or not 6 <= len(digits) <= 32:
        return b"", b""
    return bytes.fromhex(digits.ljust(32, "0")), bytes.fromhex(digits.ljust(32, "f"))


class AdminQueries:
    @unavailable_on_redis_error
    def page(self, *, sort="-last_activity", step=None, kind=None, query=None, number=1, per_page=50):
        """A search reads the token-prefix index and keeps at most SEARCH_LIMIT hits. Without one,
        a page is one range of a sorted set: the sort index, a filter index itself when it is sorted
        the same way, or the intersection of the sort index with the filters (kept a short while,
        so that paging reuses it)."""
        descending = sort.startswith("-")
        sort_name = sort.lstrip("-")
        sort_key = make_key(SORT_INDEXES.get(sort_name, "index"))
        filters = []
        if step:
            filters.append(make_key("index", f"step:{step}"))
        if kind:
            filters.append(make_key("index", f"kind:{kind}"))
        start = (number - 1) * per_page
        if query:
            total, page_ids = self._search_page(query, sort_key, filters, descending, start, per_page)
        elif len(filters) == 1 and sort_key == make_key("index"):
            # The per-step and per-kind indexes are scored by last activity too: no intersection.
            total, page_ids = self._range(filters[0], descending, start, per_page)
        elif filters:
            total, page_ids = self._intersection_page(sort_key, filters, descending, start, per_page)
        else:
            total, page_ids = self._range(sort_key, descending, start, per_page)
        # Entries whose record has expired stay in the index until cleanup_drafts counts them;
        # they are not shown, and not counted where we can see them.
        drafts, gone = self._fetch(page_ids)
        return total - len(gone), drafts

    def _range(self, key, descending, start, per_page):
        pipe = redis().pipeline(transaction=False)
        pipe.zcard(key)
        (pipe.zrevrange if descending else pipe.zrange)(key, start, start + per_page - 1)
        total, raw_ids = pipe.execute()
        return total, [item.decode() for item in raw_ids]

    def _intersection_page(self, sort_key, filters, descending, start, per_page):
        result = make_key("tmp", hashlib.sha1("|".join([sort_key, *filters]).encode()).hexdigest())
        keys = [result, f"{result}:n"]
        args = [INTERSECTION_SECONDS, start, start + per_page - 1, "desc" if descending else "asc"]
        total, *raw_ids = script(INTERSECTION_PAGE)(keys=keys, args=args)
        if total < 0:  # not there (or no longer): built now, chunk by chunk, then read
            building = self._build_intersection(result, sort_key, filters)
            total, *raw_ids = script(INTERSECTION_PAGE)(keys=[*keys, building], args=args)
        return total, [item.decode() for item in raw_ids]

    def _build_intersection(self, result, sort_key, filters):
        """The intersection under a key of this request's own (two staff may build the same one
        at once), driven by the smallest filter index, INTERSECTION_CHUNK entries a call."""
        pipe = redis().pipeline(transaction=False)
        for key in filters:
            pipe.zcard(key)
        sizes = pipe.execute()
        driver = min(zip(sizes, range(len(filters))))[1]
        others = [key for index, key in enumerate(filters) if index != driver]
        building = f"{result}:{uuid.uuid4().hex}"
        same = sort_key == make_key("index")  # step and kind indexes are scored by last activity too
        chunk = script(INTERSECT_CHUNK)
        low, member = "-inf", ""
        while True:
            read, low, member = chunk(
                keys=[building, sort_key, filters[driver], *others],
                args=[low, member, INTERSECTION_CHUNK, INTERSECTION_SECONDS * 2, int(same)],
            )
            if read < INTERSECTION_CHUNK:
                return building

    def _search_page(self, query, sort_key, filters, descending, start, per_page):
        """One round trip: the search script finds the drafts, keeps those in the sort index and
        every filter, orders them and sends back only the page's ids and how many it kept."""
        words = search_words(query, emails=False)
        if not words:
            return 0, []
        low, high = id_range(words[0]) if len(words) == 1 else (b"", b"")
        args = [make_key(""), SEARCH_READ_LIMIT, SEARCH_LIMIT, low, high, "desc" if descending else "asc", start, per_page, *words]
        _cut, total, *ids = script(SEARCH)(keys=[sort_key, *filters], args=args)
        return total, [item.decode() for item in ids]
