"""Placeholder package docstring."""
