"""Real motion data: sources, retargeting to standard skeletons, the corpus."""
