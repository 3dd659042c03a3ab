"""Operator tasks (platform staff, not tenant roles), run as ``python -m gatehouse.ops``."""
