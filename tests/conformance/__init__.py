"""Conformance between the TLA+ models (FreeList.tla, Waiting.tla, Lifecycle.tla) and the code.

Three checks, run by `make conformance` (run.py); docs/conformance.md explains them:

- trace validation: scheduled runs of the real pool log one ndjson line per
  atomic step (trace.py), and TLC checks each log is a behaviour of the model
  (models/TraceFreeList.tla; models/TraceWaiting.tla for runs that wait;
  models/TraceLifecycle.tla for runs with expiry, idle eviction, maintain()
  and resize(), logged by lifecycle.py);
- model-based testing: the model's reachable state graph, exported by TLC,
  drives the real pool step by step (statespace.py, drive.py);
- contracts: CrossHair checks the PEP 316 contracts of the pure code
  (contracts.py).
"""
