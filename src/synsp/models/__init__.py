"""Learned refiners: SynSP and its baselines (SmoothNet, DeciWatch, HANet)."""
