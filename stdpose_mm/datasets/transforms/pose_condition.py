"""Labelled poses as model inputs, for pose propagation (one- and two-sided)."""
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


@TRANSFORMS.register_module()
class GenerateNeighbourHeatmaps(BaseTransform):
    """Encode the labelled neighbours' poses and the interpolated prior as model inputs.

    For the bidirectional propagation model (``PoseTrackVideoDataset(propagation_triples=
    ...)`` in training, :class:`~stdpose_mm.apis.BidirectionalPropagator` at inference;
    both fill the fields with :func:`~stdpose_mm.datasets.propagation_samples.
    neighbour_fields`). After the video flip and affine (which move these poses with the
    frames), each pose is encoded by ``encoder`` (the model's heatmap codec):

    - ``neighbour_heatmaps`` (2K, h, w): the pose on the labelled frame before, then after
      (all-zero maps for a missing side or an unlabelled joint);
    - ``prior_heatmaps`` (K, h, w): the interpolated pose, each joint's map scaled by its
      confidence (``prior_keypoints_visible``, :func:`carry_confidence`), so its peak is the
      score interpolation would give;
    - ``neighbour_offsets`` (1, 2): real signed frame distances neighbour - target (0 for a
      missing side) and ``neighbour_present`` (1, 2);
    - ``prior_input_keypoints`` (1, K, 2) and ``prior_keypoint_scores`` (1, K): the prior
      in input-crop coordinates, which the model corrects.

    Heatmaps are packed into ``gt_fields``, the others into ``gt_instance_labels`` (they
    are inputs, built from labelled neighbours only, present in the test pipeline too).
    Place it after ``GenerateVideoTarget`` (whose codec resets the packing tables).

    Required keys: ``neighbour_keypoints`` (2, 1, K, 2), ``neighbour_keypoints_visible``
    (2, 1, K), ``prior_keypoints`` (1, 1, K, 2), ``prior_keypoints_visible`` (1, 1, K),
    ``neighbour_offsets``, ``neighbour_present`` (or their ``transformed_`` versions).

    Args:
        encoder (dict): Heatmap codec config (e.g. ``MSRAHeatmap``).
    """

    FIELDS = ('neighbour_heatmaps', 'prior_heatmaps')
    LABELS = ('neighbour_offsets', 'neighbour_present', 'prior_input_keypoints',
              'prior_keypoint_scores')

    def __init__(self, encoder: dict) -> None:
        super().__init__()
        self.encoder = KEYPOINT_CODECS.build(encoder)

    def _encode(self, keypoints: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """(1, K, 2) keypoints, (1, K) weights -> (K, h, w) maps scaled by the weights."""
        encoded = self.encoder.encode(keypoints=keypoints,
                                      keypoints_visible=(visible > 0).astype(np.float32))
        weights = encoded['keypoint_weights'] * visible  # codec drops joints off the crop
        return (encoded['heatmaps'] * weights.reshape(-1, 1, 1)).astype(np.float32), weights

    def transform(self, results: dict) -> Optional[dict]:
        missing = [key for key in ('neighbour_keypoints', 'prior_keypoints',
                                   'neighbour_offsets', 'neighbour_present')
                   if key not in results]
        if missing:
            raise KeyError(f'{type(self).__name__} needs {missing} (sample '
                           f'{results.get("img_path")}): build it with neighbour_fields')
        neighbours = results.get('transformed_neighbour_keypoints',
                                 results['neighbour_keypoints'])
        prior = results.get('transformed_prior_keypoints', results['prior_keypoints'])
        results['neighbour_heatmaps'] = np.concatenate([
            self._encode(keypoints, visible)[0]
            for keypoints, visible in zip(neighbours, results['neighbour_keypoints_visible'])])
        prior_heatmaps, prior_scores = self._encode(prior[0],
                                                    results['prior_keypoints_visible'][0])
        results['prior_heatmaps'] = prior_heatmaps
        results['prior_input_keypoints'] = np.asarray(prior[0], np.float32)
        results['prior_keypoint_scores'] = prior_scores.astype(np.float32)
        results['neighbour_offsets'] = np.asarray(results['neighbour_offsets'], np.float32)
        results['neighbour_present'] = np.asarray(results['neighbour_present'], np.float32)
        results['field_mapping_table'] = dict(results.get('field_mapping_table', {}),
                                              **{key: key for key in self.FIELDS})
        results['label_mapping_table'] = dict(results.get('label_mapping_table', {}),
                                              **{key: key for key in self.LABELS})
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(encoder={self.encoder!r})'
