"""Shared helpers of every layer: the user-facing error, registries, atomic run files, checkpoint checks."""
