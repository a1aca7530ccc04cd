"""synsp: pose-sequence refinement (SynSP, CVPR 2024) and its baselines.

``synsp.refine(poses, model=...)`` refines ``(T, J, D)`` or ``(T, P, J, D)``
arrays with a shipped model, a checkpoint or a classical filter
(``synsp.refine_smpl`` SMPL rotations, ``synsp.Stream`` online).

Module map, bottom to top; a module imports only from its own row or rows above it
(``tests/test_layers.py`` checks it; data flows readers -> tracks -> repair -> refiner -> writers)::

    primitives   validation, geometry, timeseries, kinematics, skeletons, missing, metrics,
                 io._common (paths, atomic writes)
    transforms   normalization, windows, filters/ (classical filters), reports
    networks     models/ (SynSP, SmoothNet, DeciWatch, HANet, universal; checkpoints and cards)
    repair       repair (inversions, limb swaps), identity (who is who across frames)
    tracks       io.tracks (PoseFile, Track, the format table)
    readers      io/ (BVH, ASF/AMC, TRC, arrays, SMPL, keypoint JSON, OpenPose, MediaPipe, SmoothNet)
    data         noise/, error_families, label_errors (synthetic errors), data/ (corpus, windows, cameras,
                 pose bank, positions, groups)
    refiners     refiners (get_refiner, networks, subsets), rotations, grouping
    fronts       api (refine, refine_pose_file), stream, batch, evaluation, training
    apps         experiments/, demo, pictures, video, adapters/ (MMPose, MMHuman3D)
    command line cli

The package itself only holds ``__version__`` and loads ``refine``, ``refine_smpl`` and
``Stream`` on first use, so ``synsp --version`` and ``import synsp`` stay light.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "refine", "refine_smpl", "Stream"]


def __getattr__(name: str):
    # imported lazily so that `synsp --version` and the numeric core stay light
    if name == "refine":
        from .api import refine

        return refine
    if name == "refine_smpl":
        from .api import refine_smpl

        return refine_smpl
    if name == "Stream":
        from .stream import Stream

        return Stream
    raise AttributeError(f"module 'synsp' has no attribute {name!r}")
