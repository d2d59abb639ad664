"""Benchmarks: whole runs timed against the sandbox, the store and Prefect, each beside a
baseline, printing its figures with a JSON last line. No part of the module: nothing imports it.
"""
