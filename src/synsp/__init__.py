"""synsp: pose-sequence refinement (SynSP, CVPR 2024) and its baselines.

``synsp.refine(poses, model=...)`` refines ``(T, J, D)`` or ``(T, P, J, D)``
arrays with a shipped model, a checkpoint or a classical filter
(``synsp.refine_smpl`` SMPL rotations, ``synsp.Stream`` online); the pieces
live in :mod:`synsp.skeletons`, :mod:`synsp.geometry`, :mod:`synsp.metrics`,
:mod:`synsp.windows`, :mod:`synsp.noise`, :mod:`synsp.filters`,
:mod:`synsp.models`, :mod:`synsp.refiners` and :mod:`synsp.data`.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "refine", "refine_smpl", "Stream"]


def __getattr__(name: str):
    # imported lazily so that `synsp --version` and the numeric core stay light
    if name == "refine":
        from .api import refine

        return refine
    if name == "refine_smpl":
        from .rotations import refine_smpl

        return refine_smpl
    if name == "Stream":
        from .stream import Stream

        return Stream
    raise AttributeError(f"module 'synsp' has no attribute {name!r}")
