"""Filled in by its family owner."""
