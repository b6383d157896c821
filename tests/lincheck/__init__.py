"""Linearizability checking: a generic checker, the pool's spec, and histories.

`checker.check` searches for a legal order of a history's operations;
`spec.PoolSpec` is the pool's sequential spec in the model's actions;
`history.operations` turns a probed pool's event logs into those actions.
See docs/testing.md.
"""
