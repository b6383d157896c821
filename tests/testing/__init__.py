"""Tests of rpool.testing: each tool catches a planted bug in user-style code."""
