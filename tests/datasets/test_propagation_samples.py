"""The window builder and neighbour inputs shared by the dataset and the propagators."""
import json

import numpy as np
import pytest

from stdpose_mm.apis import model_propagators
from stdpose_mm.apis.model_propagators import BidirectionalPropagator, ModelPropagator
from stdpose_mm.apis.propagation import plan_propagation
from stdpose_mm.datasets import PoseTrackVideoDataset, propagation_samples
from stdpose_mm.datasets import posetrack_video_dataset as dataset_module
from stdpose_mm.datasets.posetrack_annotations import (
    load_video_annotations,
    select_labeled_frames,
)
from stdpose_mm.datasets.propagation_samples import (
    carry_confidence,
    interpolate_pose,
    nearest_labelled,
    neighbour_fields,
    window_frame_numbers,
)

INPUT_KEYS = ('frame_paths', 'frame_offsets', 'key_frame_index', 'bbox', 'neighbour_keypoints',
              'neighbour_keypoints_visible', 'neighbour_offsets', 'neighbour_present',
              'prior_keypoints', 'prior_keypoints_visible')


def side(frame, x, visible=1):
    keypoints = np.zeros((17, 3), np.float32)
    keypoints[:, 0], keypoints[:, 1], keypoints[:, 2] = x, np.arange(17), visible
    return frame, keypoints, np.array([x, 0, 10, 20], np.float32)


def test_window_numbers_clamp_and_nearest_labelled():
    np.testing.assert_array_equal(window_frame_numbers(1, [-2, -1, 0, 1, 2], 0, 7),
                                  [0, 0, 1, 2, 3])
    assert nearest_labelled([0, 4, 8], 4) == (0, 8)  # a labelled target: its neighbours
    assert nearest_labelled([0, 4, 8], 5) == (4, 8)
    assert nearest_labelled([0, 4, 8], 9) == (8, None)
    assert nearest_labelled([0, 4, 8], 2, max_distance=1) == (None, None)


def test_interpolation_distances_and_scores():
    pose = interpolate_pose(3, side(2, 10.0), side(6, 50.0))
    np.testing.assert_allclose(pose['keypoints'][:, 0], 20.0)
    np.testing.assert_allclose(pose['distance'], 1)
    np.testing.assert_allclose(pose['bbox'], [20, 0, 10, 20])
    one_sided = interpolate_pose(9, side(6, 50.0), None)
    np.testing.assert_allclose(one_sided['distance'], 3)
    assert carry_confidence(0) == 1 and carry_confidence(4) == pytest.approx(0.5)
    fields = neighbour_fields(9, side(6, 50.0), None, 17)
    np.testing.assert_array_equal(fields['neighbour_present'], [[1, 0]])
    np.testing.assert_array_equal(fields['neighbour_offsets'], [[-3, 0]])  # real distances
    assert fields['neighbour_keypoints_visible'][1].sum() == 0
    np.testing.assert_allclose(fields['prior_keypoints_visible'], carry_confidence(3))
    np.testing.assert_allclose(fields['bbox'], [[50, 0, 60, 20]])
    with pytest.raises(ValueError, match='no labelled side'):
        neighbour_fields(3, None, None, 17)


def test_dataset_and_propagators_share_one_window_builder():
    """One implementation: the dataset and both propagators use the same functions."""
    for name in ('window_frame_numbers', 'neighbour_fields', 'pair_window_offsets'):
        shared = getattr(propagation_samples, name)
        assert getattr(dataset_module, name) is shared
        assert getattr(model_propagators, name) is shared


@pytest.fixture(scope='module')
def triple_dataset(tiny_posetrack):
    return PoseTrackVideoDataset(
        ann_file=str(tiny_posetrack / 'annotations' / 'posetrack18_val.json'),
        data_prefix=dict(img=str(tiny_posetrack) + '/'), pipeline=[], test_mode=True,
        label_stride=4, propagation_triples=dict(hidden_targets=True))


def test_dataset_windows_equal_the_propagators(triple_dataset, tiny_posetrack):
    """Training/evaluation samples and inference windows of the same target are equal."""
    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_val.json')
    videos = load_video_annotations(ann_file, 17)
    labeled = select_labeled_frames(videos, label_stride=4)
    targets = {(t.vid_id, t.frame_number): t for t in plan_propagation(videos, labeled)}
    metainfo = triple_dataset.metainfo
    bidirectional = BidirectionalPropagator(None, [], metainfo, str(tiny_posetrack) + '/',
                                            frame_indices=(-2, -1, 0, 1, 2))
    compared = 0
    for index in range(len(triple_dataset)):
        info = triple_dataset.get_data_info(index)
        target = targets.get((info['vid_id'], info['frame_number']))
        if target is None:  # a labelled target (not propagated at inference)
            continue
        window = bidirectional.window_info(videos[info['vid_id']], target, info['track_id'])
        for key in INPUT_KEYS:
            np.testing.assert_array_equal(np.asarray(info[key]), np.asarray(window[key]),
                                          err_msg=key)
        compared += 1
    assert compared > 0
    # The one-sided path: the dataset's pair offsets are the propagator's.
    pairs = PoseTrackVideoDataset(ann_file=ann_file, pipeline=[], test_mode=True,
                                  data_prefix=dict(img=str(tiny_posetrack) + '/'),
                                  propagation_pairs=dict(max_distance=3))
    onesided = ModelPropagator(None, [], metainfo, str(tiny_posetrack) + '/', num_frames=5)
    info = pairs.get_data_info(0)
    source_number = info['frame_number'] + info['source_offset']
    target = plan_propagation(videos, {info['vid_id']: [source_number]})
    target = next(t for t in target if t.frame_number == info['frame_number']
                  and t.vid_id == info['vid_id'])
    source = target.sources[info['track_id']][0]
    window = onesided.window_info(videos[info['vid_id']], target, source)
    assert window['frame_paths'] == info['frame_paths']
    assert window['frame_offsets'] == info['frame_offsets']
    np.testing.assert_allclose(window['bbox'], info['bbox'])


def test_target_label_and_box_are_never_inputs(tiny_posetrack, tmp_path):
    """Moving every hidden target's keypoints and box changes no model input."""
    ann_file = tiny_posetrack / 'annotations' / 'posetrack18_val.json'
    content = json.loads(ann_file.read_text())
    frame_of_image = {image['id']: int(image['file_name'][-10:-4]) for image in content['images']}
    for ann in content['annotations']:
        if frame_of_image[ann['image_id']] % 4:  # hidden by label_stride=4
            ann['keypoints'] = [v + 7.0 if i % 3 != 2 else v
                                for i, v in enumerate(ann['keypoints'])]
            ann['bbox'] = [v + 5.0 for v in ann['bbox'][:2]] + ann['bbox'][2:]
    moved = tmp_path / 'moved.json'
    moved.write_text(json.dumps(content))

    def inputs(path):
        dataset = PoseTrackVideoDataset(
            ann_file=str(path), data_prefix=dict(img=str(tiny_posetrack) + '/'), pipeline=[],
            test_mode=True, label_stride=4, propagation_triples=dict(hidden_targets=True))
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    original, changed = inputs(ann_file), inputs(moved)
    assert len(original) == len(changed)
    hidden = 0
    for a, b in zip(original, changed):
        for key in INPUT_KEYS:
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)
        if a['frame_number'] % 4:
            hidden += 1
            assert not np.allclose(a['keypoints'], b['keypoints'])  # only the supervision
    assert hidden > 0
