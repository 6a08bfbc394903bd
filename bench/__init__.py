"""Benchmarks of the connector against both simulators: ``make bench`` (``python -m bench``).

They print figures and ratios and assert nothing about time (speed goals live here, never in
the tests). See bench/README.md for what each one measures.
"""
