"""Drop-ins for the OpenMMLab smoothing interfaces, running synsp underneath.

MMPose 0.x's ``Smoother`` (gone from MMPose 1.x) and ``build_filter``
(:mod:`synsp.adapters.mmpose`): MMPose configs behave as in MMPose, synsp's
refiners (``"synsp"``, filter and model names) with synsp's track handling::

    from synsp.adapters.mmpose import Smoother      # was: from mmpose.core import Smoother
    smoother = Smoother(dict(type='OneEuroFilter', min_cutoff=0.004, beta=0.7), keypoint_dim=2)
    for pose_results in frames:                     # [{'track_id': 0, 'keypoints': (K, 3)}, ...]
        pose_results = smoother.smooth(pose_results)
    smoothed = Smoother('synsp', keypoint_dim=3).smooth(all_frames)   # 17 H36M joints in 3D

MMHuman3D's ``smooth_process`` and ``build_post_processing``
(:mod:`synsp.adapters.mmhuman3d`)::

    from synsp.adapters.mmhuman3d import smooth_process   # was: from mmhuman3d.utils.demo_utils import ...
    poses = smooth_process(rotmat.reshape(T, 24, 9), smooth_type='smoothnet')   # stays rotations
    verts = smooth_process(verts, smooth_type='smoothnet_windowsize8')          # any K and C
    joints = smooth_process(joints, smooth_type='synsp')                        # the default SynSP model
    cams = smooth_process(pred_cams[:, None], smooth_type='oneeuro')            # numpy or torch in and out
"""

from .mmhuman3d import build_post_processing, get_speed_up_interval, smooth_process, speed_up_process
from .mmpose import Smoother, build_filter

__all__ = ["Smoother", "build_filter", "smooth_process", "build_post_processing", "speed_up_process",
           "get_speed_up_interval"]
