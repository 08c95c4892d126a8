"""Staff queries of the Redis draft store: one page of drafts, read from the indexes."""

import hashlib

from .connection import make_key, redis, unavailable_on_redis_error

SORT_INDEXES = {"last_activity": "index", "created": "index:created"}
SEARCH_LIMIT = 2000


class AdminQueries:
    @unavailable_on_redis_error
    def page(self, *, sort="-last_activity", step=None, kind=None, query=None, number=1, per_page=50):
        """Filters intersect the step / kind indexes with the sort index on the server (a
        short-lived key). A search walks the ``search`` set with ZSCAN MATCH and keeps at most
        SEARCH_LIMIT hits."""
        descending = sort.startswith("-")
        sort_key = make_key(SORT_INDEXES.get(sort.lstrip("-"), "index"))
        filters = []
        if step:
            filters.append(make_key("index", f"step:{step}"))
        if kind:
            filters.append(make_key("index", f"kind:{kind}"))
        client = redis()
        start = (number - 1) * per_page
        if query:
            ids = self._search(query.strip().lower())
            if not ids:
                return 0, []
            pipe = client.pipeline(transaction=False)
            pipe.zmscore(sort_key, ids)
            for key in filters:
                pipe.zmscore(key, ids)
            scores, *filter_scores = pipe.execute()
            hits = [
                (score, draft_id)
                for index, (draft_id, score) in enumerate(zip(ids, scores))
                if score is not None and all(f[index] is not None for f in filter_scores)
            ]
            hits.sort(reverse=descending)
            total = len(hits)
            page_ids = [draft_id for _, draft_id in hits[start : start + per_page]]
        else:
            source = sort_key
            if filters:
                source = make_key("tmp", hashlib.sha1("|".join([sort_key, *filters]).encode()).hexdigest())
                pipe = client.pipeline(transaction=True)
                pipe.zinterstore(source, {sort_key: 1, **{key: 0 for key in filters}})
                pipe.expire(source, 5)
                pipe.execute()
            pipe = client.pipeline(transaction=False)
            pipe.zcard(source)
            (pipe.zrevrange if descending else pipe.zrange)(source, start, start + per_page - 1)
            total, raw_ids = pipe.execute()
            page_ids = [item.decode() for item in raw_ids]
        # Entries whose record has expired stay in the index until cleanup_drafts counts them;
        # they are not shown, and not counted where we can see them.
        drafts, gone = self._fetch(page_ids)
        return total - len(gone), drafts

    def _search(self, text):
        pattern = "*" + "".join("\\" + ch if ch in "*?[]\\^" else ch for ch in text) + "*"
        found = []
        for member, _ in redis().zscan_iter(make_key("search"), match=pattern, count=1000):
            found.append(member.decode().rsplit("|", 1)[-1])
            if len(found) >= SEARCH_LIMIT:
                break
        return found
