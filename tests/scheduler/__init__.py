"""What only rpool's own tests add to the deterministic scheduler.

The scheduler ships in `rpool.testing` (`_scheduler.py`, `_choosers.py`,
`_explore.py`, `_instrument.py`), where users' interleaving tests run on it
too; rpool's tests import it from there. Here: `instrument.ScheduledPool`
(a pool whose callers never wait, for the free-list traces), the
scheduler's own tests and `seam_cost.py`. See docs/testing.md.
"""
