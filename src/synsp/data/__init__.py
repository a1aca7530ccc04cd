"""Real motion data: sources, retargeting to standard skeletons, the corpus, a split as positions
(positions); and what training makes of it: virtual cameras (cameras), random groups (groups), the
pose bank of similar poses (pose_bank), training windows (dataset, rotation_windows)."""
