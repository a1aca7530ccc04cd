"""Drop-ins for the OpenMMLab smoothing interfaces, running synsp underneath.

MMPose 0.x's ``Smoother`` (gone from MMPose 1.x), online per track or offline
(:mod:`synsp.adapters.mmpose`)::

    from synsp.adapters.mmpose import Smoother      # was: from mmpose.core import Smoother
    smoother = Smoother(dict(type='OneEuroFilter', min_cutoff=0.004, beta=0.7), keypoint_dim=2)
    for pose_results in frames:                     # [{'track_id': 0, 'keypoints': (K, 3)}, ...]
        pose_results = smoother.smooth(pose_results)
    smoothed = Smoother('synsp', keypoint_dim=3).smooth(all_frames)   # 17 H36M joints in 3D

MMHuman3D's ``smooth_process`` (:mod:`synsp.adapters.mmhuman3d`)::

    from synsp.adapters.mmhuman3d import smooth_process   # was: from mmhuman3d.utils.demo_utils import ...
    joints = smooth_process(joints, smooth_type='smoothnet')           # (T, 17, 3): shipped SmoothNet
    joints = smooth_process(joints, smooth_type='synsp')               # the default SynSP model
    rotmat = smooth_process(rotmat.reshape(T, -1, 24, 9), 'savgol')    # stays a valid rotation
    cams = smooth_process(pred_cams[:, None], smooth_type='oneeuro')   # any C, per channel
"""

from .mmhuman3d import smooth_process
from .mmpose import Smoother

__all__ = ["Smoother", "smooth_process"]
