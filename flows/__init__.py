"""Prefect flows, one per process: they build the resources at the edge, sequence tasks and turn
outcomes into states.
"""
