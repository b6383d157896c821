"""Benchmarks of rpool against the pools a Python user would otherwise pick.

Run by `make bench` (tests/benchmarks/run.py); never collected by pytest, and
nothing here asserts anything about time: the scripts measure and report.
"""
