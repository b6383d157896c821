"""Linearizability checking: a generic checker, the pool's spec, and histories.

`checker.check` searches for a legal order of a history's operations;
`spec.PoolSpec` is the pool's sequential spec in the model's actions;
`history.operations` turns a probed pool's event logs into those actions;
`waiting` draws and runs programs with `acquire(timeout)` on a pool whose
waiters log what they do; `lifecycle`, programs with ticks of an injected
clock, `maintain()` and `resize()` on a pool with lifecycle options.
See docs/testing.md.
"""
