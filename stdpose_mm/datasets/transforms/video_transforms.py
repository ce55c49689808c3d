"""Transforms that treat the T frames of a sample as one image.

Geometric augmentation (flip, half-body, scale/rotation, the top-down affine) is drawn once
per sample and applied to every frame and to every frame's keypoints, so the temporal model
sees a consistent crop. MMPose's transforms already warp lists of images; these subclasses
add the support frames' keypoints. Photometric noise may differ per frame
(:class:`PerFrameTransform`).
"""
from typing import List, Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.datasets.transforms import GenerateTarget, RandomFlip, TopdownAffine
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix
from mmpose.structures.keypoint import flip_keypoints

# Stacks of poses (N, 1, K, 2) with visibilities ``<key>_visible`` (N, 1, K) that follow the
# sample's geometry: the window's per-frame labels and, for the bidirectional propagation
# model, its labelled neighbours' poses and the interpolated prior (``neighbour_fields``).
VIDEO_KEYPOINT_FIELDS = ('frame_keypoints', 'neighbour_keypoints', 'prior_keypoints')


@TRANSFORMS.register_module()
class VideoRandomFlip(RandomFlip):
    """:class:`mmpose.datasets.transforms.RandomFlip` that also flips ``frame_keypoints``.

    Added/updated keys: every present key of ``VIDEO_KEYPOINT_FIELDS`` (``frame_keypoints``
    (T, 1, K, 2), ``neighbour_keypoints`` (2, 1, K, 2), ``prior_keypoints`` (1, 1, K, 2)) and
    its ``<key>_visible`` (N, 1, K), with the dataset's flip pairs swapped.
    """

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if not results['flip']:
            return results
        h, w = results.get('input_size', results['img_shape'])
        for key in VIDEO_KEYPOINT_FIELDS:
            if results.get(key) is None:
                continue
            flipped = [
                flip_keypoints(keypoints, visible, image_size=(w, h),
                               flip_indices=results['flip_indices'],
                               direction=results['flip_direction'])
                for keypoints, visible in zip(results[key], results[f'{key}_visible'])
            ]
            results[key] = np.stack([kpts for kpts, _ in flipped])
            results[f'{key}_visible'] = np.stack([vis for _, vis in flipped])
        return results


@TRANSFORMS.register_module()
class VideoTopdownAffine(TopdownAffine):
    """:class:`mmpose.datasets.transforms.TopdownAffine` for all T frames.

    The key frame's box defines one warp for every frame (the person's crop is fixed
    over the window, as in DCPose and STDPose).

    Added keys: ``transformed_<key>`` for every present key of ``VIDEO_KEYPOINT_FIELDS``
    (``transformed_frame_keypoints`` (T, 1, K, 2), ...).
    """

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        keys = [key for key in VIDEO_KEYPOINT_FIELDS if results.get(key) is not None]
        if keys:
            w, h = self.input_size
            center = results['bbox_center'][0]
            scale = results['bbox_scale'][0]  # aspect ratio already fixed by super()
            rotation = results['bbox_rotation'][0] if 'bbox_rotation' in results else 0.
            make_matrix = get_udp_warp_matrix if self.use_udp else get_warp_matrix
            warp_mat = make_matrix(center, scale, rotation, output_size=(w, h))
            for key in keys:
                keypoints = np.asarray(results[key], np.float32)
                results[f'transformed_{key}'] = cv2.transform(
                    keypoints.reshape(1, -1, 2), warp_mat).reshape(keypoints.shape)
        return results


@TRANSFORMS.register_module()
class PerFrameTransform(BaseTransform):
    """Apply image-only transforms to each frame independently.

    Every frame gets its own random draw (e.g. photometric noise, blur), which is right
    for appearance changes that happen between real frames.

    Args:
        transforms (list[dict]): Configs of MMPose/MMCV transforms that read and write
            ``results['img']`` only.
    """

    def __init__(self, transforms: List[dict]) -> None:
        self.transforms = [TRANSFORMS.build(cfg) for cfg in transforms]

    def transform(self, results: dict) -> Optional[dict]:
        frames = []
        for frame in results['img']:
            frame_results = {'img': frame, 'img_shape': frame.shape[:2]}
            for transform in self.transforms:
                frame_results = transform(frame_results)
                if frame_results is None:
                    return None
            frames.append(frame_results['img'])
        results['img'] = frames
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms})'


@TRANSFORMS.register_module()
class GenerateVideoTarget(GenerateTarget):
    """Heatmap targets for the key frame and for every labelled frame of the window.

    The key frame's target is MMPose's (``heatmaps`` (K, h, w), ``keypoint_weights``
    (1, K)). Each frame's keypoints are encoded by the same codec into ``frame_heatmaps``
    (T*K, h, w) with ``frame_keypoint_weights`` (1, T, K); weights of frames the
    sparse-label mask hides are 0, so their (empty) targets never reach the loss, and so are
    those of frames ``LoadVideoFrames`` replaced by a neighbour (``frame_replaced``).
    Only single-encoder heatmap codecs are supported for the per-frame targets. A
    visibility between 0 and 1 (a pseudo-label weight) scales the joint's weight, on the
    key frame as on the other frames, instead of MMPose's switch-off below 0.5.
    """

    def transform(self, results: dict) -> dict:
        # The codec switches off joints whose visibility is below 0.5 (MMPose's cut-off),
        # which would drop pseudo-labels weighted below 0.5: encode the binary flag and
        # let the visibility scale the key frame's weights, as the per-frame ones below.
        visibility = np.asarray(results['keypoints_visible'], np.float32)
        if visibility.ndim == 2 and not isinstance(self.encoder, list) and (
                (visibility > 0) & (visibility < 1)).any():
            results['keypoints_visible'] = (visibility > 0).astype(np.float32)
            results = super().transform(results)
            results['keypoints_visible'] = visibility
            results['keypoint_weights'] = (results['keypoint_weights'] *
                                           visibility).astype(np.float32)
        else:
            results = super().transform(results)
        frame_keypoints = results.get('transformed_frame_keypoints',
                                      results.get('frame_keypoints'))
        if frame_keypoints is None:
            return results
        if isinstance(self.encoder, list):
            raise ValueError('GenerateVideoTarget supports a single encoder')
        heatmaps, weights = [], []
        for keypoints, visible in zip(frame_keypoints, results['frame_keypoints_visible']):
            # The codec thresholds visibility at 0.5; pass the binary flag and scale the
            # weights afterwards so pseudo-label weights below 0.5 still count.
            encoded = self.encoder.encode(
                keypoints=keypoints, keypoints_visible=(visible > 0).astype(np.float32))
            heatmaps.append(encoded['heatmaps'])
            weights.append(encoded['keypoint_weights'] * visible)
        results['frame_heatmaps'] = np.concatenate(heatmaps, axis=0)  # (T*K, h, w)
        frame_weights = np.stack(weights, axis=1)  # (1, T, K)
        if 'frame_replaced' in results:
            # A frame read in place of a missing one shows another instant: its own labels
            # would supervise the wrong image.
            frame_weights = frame_weights * ~results['frame_replaced'][None, :, None]
        if self.use_dataset_keypoint_weights and 'dataset_keypoint_weights' in results:
            frame_weights = frame_weights * results['dataset_keypoint_weights']
        results['frame_keypoint_weights'] = frame_weights.astype(np.float32)
        return results
