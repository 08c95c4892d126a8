"""A Sentinel connection pool that notices a failover while its connections are pooled.

redis-py's SentinelConnectionPool asks the sentinels where the master is only when it opens a
connection. After a failover the old master stays up for a while (until the sentinels demote it,
about ten seconds later) and accepts writes on the pooled connections: writes that are then lost
without any error (tests/test_sentinel.py shows it). This pool asks again when it hands out a
connection, at most every REDIS_SENTINEL_CHECK_INTERVAL seconds per process (default 1 s), and
redis-py drops the idle connections to a master that moved. The cost is one SENTINEL command per
interval, not per request.
"""

import time

from django.conf import settings
from redis.sentinel import MasterNotFoundError, SentinelConnectionPool


class MasterCheckingSentinelConnectionPool(SentinelConnectionPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_at = 0.0

    def get_connection(self, *args, **kwargs):
        if self.is_master:
            now = time.monotonic()
            if now - self._checked_at >= settings.REDIS_SENTINEL_CHECK_INTERVAL:
                self._checked_at = now
                try:
                    self.proxy.get_master_address()  # drops idle connections if the master moved
                except MasterNotFoundError:
                    pass  # no sentinel answers: keep the master we know
        return super().get_connection(*args, **kwargs)
