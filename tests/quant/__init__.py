"""Tests of lpgnas_pl.quant."""
