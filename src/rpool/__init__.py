"""rpool: a typed, formally modelled, lock-free resource pool.

    from rpool import Pool, Static

    pool = Pool(Connection, Static(count=4), settings)
    guard = pool.get()          # PoolGuard[Connection] | None, never waits
    if guard is not None:
        with guard as connection:
            ...
    with pool.acquire(timeout=5.0) as connection:   # waits its turn, or PoolTimeout
        ...

    async with AsyncPool(AsyncConnection, Static(count=4), settings) as pool:
        async with pool.acquire(timeout=5.0) as connection:   # the same, for coroutines
            ...

See docs/design.md for the algorithm and docs/models.md for its model.
"""

from ._async_guard import AsyncPoolGuard as AsyncPoolGuard
from ._async_pool import AsyncPool as AsyncPool
from ._errors import GuardReleasedError as GuardReleasedError
from ._errors import PoolClosedError as PoolClosedError
from ._errors import PoolError as PoolError
from ._errors import PoolTimeout as PoolTimeout
from ._guard import PoolGuard as PoolGuard
from ._pool import Pool as Pool
from ._poolable import AsyncPoolable as AsyncPoolable
from ._poolable import Poolable as Poolable
from ._scale import AutoScale as AutoScale
from ._scale import ScaleMode as ScaleMode
from ._scale import Static as Static
from ._stats import PoolStats as PoolStats

__all__ = [
    "AsyncPool",
    "AsyncPoolGuard",
    "AsyncPoolable",
    "AutoScale",
    "GuardReleasedError",
    "Pool",
    "PoolClosedError",
    "PoolError",
    "PoolGuard",
    "PoolStats",
    "PoolTimeout",
    "Poolable",
    "ScaleMode",
    "Static",
]

__version__ = "0.1.0"
