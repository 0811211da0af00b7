"""Shared test helpers: plain functions, classes and constants that several test modules use.

Fixtures stay in the conftest.py files (pytest finds them by name); everything a test imports
comes from here, always as `from tests.helpers.<module> import <name>`.
"""
