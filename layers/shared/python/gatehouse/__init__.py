"""Gatehouse domain package: everything that decides anything lives here.

Lambda handlers under ``functions/`` stay thin and call into this package, which
ships as the shared Lambda layer. Nothing in here reads a Lambda event.
"""
