"""MMPose's pose visualizer that also writes each person's track id."""
import numpy as np
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.visualization import PoseLocalVisualizer

# A few distinct colours (RGB), so the same id keeps its colour from frame to frame.
_TRACK_COLORS = [(255, 56, 56), (56, 56, 255), (56, 200, 56), (255, 157, 0), (200, 0, 200),
                 (0, 200, 200), (255, 255, 56), (150, 75, 0)]


@VISUALIZERS.register_module()
class TrackPoseLocalVisualizer(PoseLocalVisualizer):
    """:class:`mmpose.visualization.PoseLocalVisualizer` drawing ``track_ids`` too.

    Instances with a ``track_ids`` field get ``#<id>`` written at the top-left corner of
    their box (or of their keypoints when there is no box), in a colour fixed per id.
    Everything else (skeleton, keypoints, heatmaps, boxes) is MMPose's drawing.
    """

    def draw_circles(self, center, radius, *args, **kwargs):
        # MMPose passes ``radius=np.array([r])``; NumPy 2 no longer lets OpenCV's ``int()``
        # convert a 1-element array, so every drawn keypoint would raise.
        radius = np.asarray(radius)
        if self.backend == 'opencv' and radius.size == 1:
            radius = radius.item()
        return super().draw_circles(center, radius, *args, **kwargs)

    def _draw_instances_kpts(self, image: np.ndarray, instances: InstanceData,
                             *args, **kwargs) -> np.ndarray:
        image = super()._draw_instances_kpts(image, instances, *args, **kwargs)
        if 'track_ids' not in instances or len(instances) == 0:
            return image
        self.set_image(image)
        if 'bboxes' in instances:
            corners = np.asarray(instances.bboxes)[:, :2]
        else:
            corners = np.asarray(instances.keypoints).min(axis=1)
        height = image.shape[0]
        for track_id, corner in zip(np.asarray(instances.track_ids), corners):
            color = _TRACK_COLORS[int(track_id) % len(_TRACK_COLORS)]
            self.draw_texts(
                f'#{int(track_id)}',
                np.clip(corner, 0, None),
                colors=(255, 255, 255),
                font_sizes=max(8, height // 30),
                vertical_alignments='top',
                bboxes=[dict(facecolor=[c / 255. for c in color], alpha=0.8, pad=0.5,
                             edgecolor='none')])
        return self.get_image()
