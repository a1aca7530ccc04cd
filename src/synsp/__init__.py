"""synsp: pose-sequence refinement (SynSP, CVPR 2024) and its baselines.

Public API grows with the project; the numerical core lives in
:mod:`synsp.skeletons`, :mod:`synsp.geometry`, :mod:`synsp.metrics` and
:mod:`synsp.windows`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
