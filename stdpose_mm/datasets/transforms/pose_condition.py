"""The labelled source pose as a model input, for pose propagation."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import KEYPOINT_CODECS, TRANSFORMS


@TRANSFORMS.register_module()
class GenerateSourceHeatmap(BaseTransform):
    """Encode the source frame's pose into ``source_heatmaps`` (K, h, w).

    For pose propagation (``PoseTrackVideoDataset(propagation_pairs=...)`` or
    ``tools/propagate.py``) the source frame sits at ``source_frame_index`` of the window
    and its labelled keypoints are ``frame_keypoints[source_frame_index]``. After the video
    affine, they are encoded by ``encoder`` (a heatmap codec, normally the model's) and
    joints that are not labelled get an all-zero map. Unlike the targets this runs in the
    test pipeline too: it is an input. ``PackVideoPoseInputs`` packs it as
    ``gt_fields.source_heatmaps``.

    Required keys: ``frame_keypoints`` (or ``transformed_frame_keypoints``),
    ``frame_keypoints_visible``. Added key: ``source_heatmaps``.

    Args:
        encoder (dict): Heatmap codec config (e.g. ``MSRAHeatmap``).
        source_frame_index (int): Position of the source frame. Defaults to 0.
    """

    def __init__(self, encoder: dict, source_frame_index: int = 0) -> None:
        super().__init__()
        self.encoder = KEYPOINT_CODECS.build(encoder)
        self.source_frame_index = source_frame_index

    def transform(self, results: dict) -> Optional[dict]:
        frame_keypoints = results.get('transformed_frame_keypoints',
                                      results.get('frame_keypoints'))
        if frame_keypoints is None or 'frame_keypoints_visible' not in results:
            raise KeyError(f'{type(self).__name__} needs frame_keypoints and '
                           f'frame_keypoints_visible (sample {results.get("img_path")})')
        keypoints = frame_keypoints[self.source_frame_index]  # (1, K, 2)
        visible = (results['frame_keypoints_visible'][self.source_frame_index] > 0)
        encoded = self.encoder.encode(keypoints=keypoints,
                                      keypoints_visible=visible.astype(np.float32))
        # Joints the codec drops (unlabelled, outside the crop) have weight 0: zero their map.
        weights = encoded['keypoint_weights'].reshape(-1, 1, 1)
        results['source_heatmaps'] = (encoded['heatmaps'] * weights).astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(encoder={self.encoder!r}, '
                f'source_frame_index={self.source_frame_index})')
