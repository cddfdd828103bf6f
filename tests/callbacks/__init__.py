"""Tests of the top-level callbacks package."""
