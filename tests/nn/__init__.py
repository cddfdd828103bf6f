"""Tests of lpgnas_pl.nn."""
