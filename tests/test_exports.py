"""The public surface of rpool: exactly these names, each exported once."""

from __future__ import annotations

from types import ModuleType

import rpool

PUBLIC = {
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
}


def test_all_lists_exactly_the_public_api() -> None:
    assert set(rpool.__all__) == PUBLIC
    assert len(rpool.__all__) == len(PUBLIC)


def test_no_other_public_names_leak() -> None:
    # A submodule imported anywhere in the session (rpool.testing, by its
    # tests) becomes an attribute of the package: it is not part of its API.
    exposed = {
        name
        for name, value in vars(rpool).items()
        if not name.startswith("_")
        and not (isinstance(value, ModuleType) and value.__name__.startswith("rpool."))
    }
    assert exposed == PUBLIC


def test_errors_are_named_from_the_package_and_share_a_base() -> None:
    errors = (rpool.PoolError, rpool.PoolClosedError, rpool.GuardReleasedError, rpool.PoolTimeout)
    for error in errors:
        assert error.__module__ == "rpool"
        assert issubclass(error, rpool.PoolError)


def test_a_pool_timeout_is_caught_as_any_timeout() -> None:
    import asyncio

    assert issubclass(rpool.PoolTimeout, TimeoutError)
    assert issubclass(rpool.PoolTimeout, asyncio.TimeoutError)


def test_pool_and_guard_are_final() -> None:
    for cls in (rpool.Pool, rpool.PoolGuard, rpool.AsyncPool, rpool.AsyncPoolGuard):
        assert getattr(cls, "__final__", False), cls


def test_package_ships_its_type_information() -> None:
    from importlib.resources import files

    assert files("rpool").joinpath("py.typed").is_file()
