"""Tests of lpgnas_pl.search."""
