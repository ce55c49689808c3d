import json
import logging
import shutil

import numpy as np
import pytest

from stdpose_mm.datasets import PoseTrackAnnotationError, PoseTrackVideoDataset
from stdpose_mm.datasets.transforms import FrameReadError

INPUT_SIZE = (96, 128)
CODEC = dict(type='MSRAHeatmap', input_size=INPUT_SIZE, heatmap_size=(24, 32), sigma=2)


def video_pipeline(on_missing='error', train=False):
    pipeline = [dict(type='LoadVideoFrames', on_missing=on_missing),
                dict(type='GetBBoxCenterScale')]
    if train:
        pipeline += [dict(type='VideoRandomFlip', prob=1.0), dict(type='RandomBBoxTransform')]
    pipeline += [dict(type='VideoTopdownAffine', input_size=INPUT_SIZE)]
    if train:
        pipeline += [dict(type='GenerateVideoTarget', encoder=CODEC)]
    return pipeline + [dict(type='PackVideoPoseInputs')]


def build(root, split='train', **kwargs):
    kwargs.setdefault('pipeline', [])
    return PoseTrackVideoDataset(
        ann_file=str(root / 'annotations' / f'posetrack18_{split}.json'),
        data_prefix=dict(img=str(root) + '/'), **kwargs)


def test_real_sample_loads_as_video_dataset(real_sample):
    dataset = PoseTrackVideoDataset(
        ann_file=str(real_sample / 'annotations' / 'test_posetrack18_val.json'),
        data_prefix=dict(img=str(real_sample) + '/'), test_mode=True,
        pipeline=video_pipeline(on_missing='nearest'))
    raw = json.loads((real_sample / 'annotations' / 'test_posetrack18_val.json').read_text())
    with_pose = [a for a in raw['annotations'] if max(a['keypoints']) > 0 and 'bbox' in a]
    assert len(dataset) == len(with_pose)
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (5, 3, INPUT_SIZE[1], INPUT_SIZE[0])
    meta = sample['data_samples'].metainfo
    assert meta['key_frame_index'] == 2 and meta['num_frames'] == 5
    # Key frame 0: offsets -2, -1 clamp to it, so the window names 3 distinct files; the
    # sample ships only frame 0, so frames 1 and 2 fell back to it ('nearest').
    assert len(set(meta['frame_paths'])) == 3
    frames = sample['inputs']
    assert all(frames[i].equal(frames[2]) for i in range(5))


def test_real_sample_missing_support_frame_is_named(real_sample):
    dataset = PoseTrackVideoDataset(
        ann_file=str(real_sample / 'annotations' / 'test_posetrack18_val.json'),
        data_prefix=dict(img=str(real_sample) + '/'), test_mode=True,
        pipeline=video_pipeline(on_missing='error'))
    with pytest.raises(FrameReadError, match=r'000001\.jpg'):
        dataset[0]


def test_real_sample_detections(real_sample):
    dataset = PoseTrackVideoDataset(
        ann_file=str(real_sample / 'annotations' / 'test_posetrack18_val.json'),
        bbox_file=str(real_sample / 'annotations' / 'test_posetrack18_human_detections.json'),
        data_prefix=dict(img=str(real_sample) + '/'), test_mode=True, pipeline=[])
    detections = json.loads(
        (real_sample / 'annotations' / 'test_posetrack18_human_detections.json').read_text())
    assert len(dataset) == sum(d['category_id'] == 1 for d in detections)
    info = dataset[0]
    assert info['bbox_score'][0] == pytest.approx(detections[0]['score'])
    assert info['img_id'] == detections[0]['image_id']


def test_detection_with_unknown_image_id_is_named(real_sample, tmp_path):
    detections = json.loads(
        (real_sample / 'annotations' / 'test_posetrack18_human_detections.json').read_text())
    detections[3]['image_id'] = 123
    bbox_file = tmp_path / 'dets.json'
    bbox_file.write_text(json.dumps(detections))
    with pytest.raises(PoseTrackAnnotationError, match=r'dets\.json.*#3.*image_id'):
        PoseTrackVideoDataset(
            ann_file=str(real_sample / 'annotations' / 'test_posetrack18_val.json'),
            bbox_file=str(bbox_file), data_prefix=dict(img=str(real_sample) + '/'),
            test_mode=True, pipeline=[])


def test_training_sample_has_per_frame_targets(tiny_posetrack):
    dataset = build(tiny_posetrack, pipeline=video_pipeline(train=True))
    sample = dataset[0]
    data_sample = sample['data_samples']
    assert tuple(sample['inputs'].shape) == (5, 3, 128, 96)
    assert tuple(data_sample.gt_fields.heatmaps.shape) == (17, 32, 24)
    assert tuple(data_sample.gt_fields.frame_heatmaps.shape) == (5 * 17, 32, 24)
    assert tuple(data_sample.gt_instance_labels.frame_keypoint_weights.shape) == (1, 5, 17)
    # The key frame's own per-frame target is exactly its key-frame target.
    key = data_sample.metainfo['key_frame_index']
    np.testing.assert_allclose(
        data_sample.gt_fields.frame_heatmaps[key * 17:(key + 1) * 17].numpy(),
        data_sample.gt_fields.heatmaps.numpy(), atol=1e-6)


def test_one_affine_for_all_frames(tiny_posetrack):
    """Flip + random scale/rotation are drawn once: the key frame's warped keypoints equal
    the warped ``frame_keypoints`` entry of the key frame."""
    pipeline = video_pipeline(train=True)[:-2]  # up to the affine
    dataset = build(tiny_posetrack, pipeline=pipeline)
    for index in range(3):
        results = dataset[index]
        key = results['key_frame_index']
        np.testing.assert_allclose(results['transformed_frame_keypoints'][key],
                                   results['transformed_keypoints'], atol=1e-4)
        assert results['flip']
        assert len(results['img']) == 5


def test_frames_are_decoded_once(tiny_posetrack, monkeypatch):
    from stdpose_mm.datasets.transforms import loading

    reads = []
    original = loading.get
    monkeypatch.setattr(loading, 'get', lambda path, **kw: reads.append(path) or original(
        path, **kw))
    dataset = build(tiny_posetrack, pipeline=video_pipeline())
    # Key frame 0: offsets -2, -1 clamp to frame 0, so only 3 distinct files exist.
    index = next(i for i in range(len(dataset)) if dataset.get_data_info(i)['frame_number'] == 0)
    dataset[index]
    assert len(reads) == 3 and len(set(reads)) == 3


def test_sparse_labels_hide_frames(tiny_posetrack):
    dataset = build(tiny_posetrack, label_stride=3)
    visible = dataset.labeled_frame_numbers
    for vid_id, numbers in visible.items():
        assert numbers == list(range(0, 8, 3))
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert info['frame_number'] in visible[info['vid_id']]
        support_numbers = np.asarray(info['frame_offsets']) + info['frame_number']
        for number, labeled, visibility in zip(support_numbers, info['frame_labeled'],
                                               info['frame_keypoints_visible']):
            is_visible = number in visible[info['vid_id']]
            assert bool(labeled) == is_visible
            if not is_visible:  # hidden labels never reach a sample
                assert visibility.sum() == 0


def test_labeled_ratio_and_explicit_frames(tiny_posetrack):
    dataset = build(tiny_posetrack, labeled_ratio=0.25)
    assert all(len(numbers) == 2 for numbers in dataset.labeled_frame_numbers.values())
    vid_id = next(iter(dataset.labeled_frame_numbers))
    explicit = build(tiny_posetrack, labeled_frames={vid_id: [1, 5]})
    assert explicit.labeled_frame_numbers[vid_id] == [1, 5]
    assert {explicit.get_data_info(i)['vid_id'] for i in range(len(explicit))} == {vid_id}
    with pytest.raises(ValueError, match='only one'):
        build(tiny_posetrack, labeled_ratio=0.5, label_stride=2)


def test_pseudo_labels_fill_hidden_frames(tiny_posetrack, tmp_path):
    full = build(tiny_posetrack)
    sparse = build(tiny_posetrack, label_stride=4)
    merged = json.loads((tiny_posetrack / 'annotations' / 'posetrack18_train.json').read_text())
    for ann in merged['annotations']:
        ann['scores'] = [0.9] * 17
        ann['scores'][0] = 0.1  # the nose is unsure: dropped by the threshold
    pseudo_file = tmp_path / 'pseudo.json'
    pseudo_file.write_text(json.dumps(merged))
    pseudo = build(tiny_posetrack, label_stride=4, pseudo_label_file=str(pseudo_file),
                   pseudo_label_score_thr=0.5, pseudo_label_weight=0.5)
    assert len(sparse) < len(pseudo) == len(full)
    pseudo_infos = [pseudo.get_data_info(i) for i in range(len(pseudo))]
    pseudo_only = [info for info in pseudo_infos if info['is_pseudo']]
    assert pseudo_only
    for info in pseudo_only:
        assert info['keypoints_visible'][0, 0] == 0
        assert set(np.unique(info['keypoints_visible'][0, 1:])) <= {0.0, 0.5}


def test_random_offsets_within_range(tiny_posetrack):
    dataset = build(tiny_posetrack, frame_sampler_mode='random', frame_range=[-4, 4])
    np.random.seed(0)
    seen = set()
    for _ in range(30):
        offsets = dataset.sample_offsets()
        assert len(offsets) == 5 and offsets[2] == 0
        assert np.all(np.diff(offsets) > 0) and offsets.min() >= -4 and offsets.max() <= 4
        seen.update(offsets.tolist())
    assert {-4, 4} & seen  # the range is used, not only -2..2
    with pytest.raises(ValueError, match='frame_range'):
        build(tiny_posetrack, frame_sampler_mode='random', frame_range=[-1, 1])


def test_short_video_warns_and_clamps(tiny_posetrack, monkeypatch):
    from stdpose_mm.datasets import posetrack_video_dataset

    messages = []
    monkeypatch.setattr(posetrack_video_dataset, 'print_log',
                        lambda msg, **kwargs: messages.append((msg, kwargs.get('level'))))
    dataset = build(tiny_posetrack, frame_indices=list(range(-5, 6)))
    assert any('shorter than the 11-frame window' in msg and level == logging.WARNING
               for msg, level in messages)
    info = dataset.get_data_info(0)
    numbers = np.asarray(info['frame_offsets']) + info['frame_number']
    assert numbers.min() >= 0 and numbers.max() <= 7


def copy_set(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_malformed_annotation_errors_name_file_and_field(tiny_posetrack, tmp_path):
    root = copy_set(tiny_posetrack, tmp_path / 'set')
    ann_file = root / 'annotations' / 'posetrack18_train.json'
    content = json.loads(ann_file.read_text())
    content['annotations'][2]['keypoints'] = content['annotations'][2]['keypoints'][:-3]
    ann_file.write_text(json.dumps(content))
    with pytest.raises(PoseTrackAnnotationError,
                       match=r'posetrack18_train\.json.*"keypoints" has 48 values'):
        build(root)
    ann_file.write_text('{"images": [')
    with pytest.raises(PoseTrackAnnotationError, match=r'posetrack18_train\.json: malformed'):
        build(root)


def test_corrupt_frame_is_named(tiny_posetrack, tmp_path, monkeypatch):
    """A frame corrupted after the pre-check is named in the log (once) and its sample
    skipped, even with bad_data='error' (issue 14: no mid-training crash); a missing one
    is still an error of LoadVideoFrames(on_missing='error')."""
    from pathlib import Path

    from stdpose_mm.datasets import posetrack_video_dataset as dataset_module

    messages = []
    monkeypatch.setattr(dataset_module, 'print_log', lambda msg, **_: messages.append(msg))
    root = copy_set(tiny_posetrack, tmp_path / 'set')
    dataset = build(root, pipeline=video_pipeline())
    info = dataset.get_data_info(0)
    corrupt = info['frame_paths'][-1]
    with open(corrupt, 'wb') as f:
        f.write(b'not a jpeg')
    for _ in range(2):
        assert corrupt not in dataset[0]['data_samples'].metainfo['frame_paths']
    named = [msg for msg in messages if corrupt in msg]
    assert len(named) == 1 and 'does not decode' in named[0]
    for path in set(info['frame_paths']) - {corrupt}:
        Path(path).unlink()
    with pytest.raises(FrameReadError, match='not found'):
        build(root, pipeline=video_pipeline(), bad_data='off')[0]


def test_per_video_folder_equals_merged(tiny_posetrack):
    merged = build(tiny_posetrack)
    folder = PoseTrackVideoDataset(ann_file=str(tiny_posetrack / 'annotations' / 'train'),
                                   data_prefix=dict(img=str(tiny_posetrack) + '/'),
                                   pipeline=[])
    assert len(folder) == len(merged)
    assert folder.get_data_info(3)['frame_paths'] == merged.get_data_info(3)['frame_paths']


def test_propagation_pairs(tiny_posetrack):
    dataset = build(tiny_posetrack, label_stride=2, propagation_pairs=dict(max_distance=4))
    np.random.seed(1)
    distances = set()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert info['key_frame_index'] == 4 and info['frame_offsets'][-1] == 0
        source = info['source_offset']
        assert info['frame_offsets'][0] == source and 1 <= abs(source) <= 4
        # The source is a labelled frame of the same person: its pose comes with it.
        assert info['frame_labeled'][0] == 1
        assert info['frame_keypoints_visible'][0].sum() > 0
        assert (info['frame_number'] + source) % 2 == 0  # a visible (labelled) frame
        distances.add(abs(source))
    assert distances == {2, 4}  # stride 2: only even distances are labelled
    with pytest.raises(ValueError, match='min_distance'):
        build(tiny_posetrack, propagation_pairs=dict(max_distance=2, min_distance=3))


def test_custom_video_json_fields(tiny_posetrack, tmp_path):
    content = json.loads((tiny_posetrack / 'annotations' / 'posetrack18_val.json').read_text())
    for image in content['images']:
        image['video'] = image.pop('vid_id')
        image['frame_idx'] = int(image['file_name'][-10:-4])
    ann_file = tmp_path / 'coco_video.json'
    ann_file.write_text(json.dumps(content))
    dataset = PoseTrackVideoDataset(ann_file=str(ann_file), vid_key='video',
                                    frame_key='frame_idx', test_mode=True,
                                    data_prefix=dict(img=str(tiny_posetrack) + '/'),
                                    pipeline=[])
    reference = build(tiny_posetrack, split='val', test_mode=True)
    assert len(dataset) == len(reference)
    assert dataset[5]['frame_paths'] == reference[5]['frame_paths']
    with pytest.raises(PoseTrackAnnotationError, match="no field 'vid_id'"):
        PoseTrackVideoDataset(ann_file=str(ann_file), test_mode=True, pipeline=[])


def test_replaced_frame_labels_do_not_supervise(tiny_posetrack, tmp_path):
    root = copy_set(tiny_posetrack, tmp_path / 'set')
    pipeline = video_pipeline(on_missing='nearest', train=True)
    dataset = build(root, pipeline=pipeline, bad_data='off')
    index = next(i for i in range(len(dataset))
                 if dataset.get_data_info(i)['frame_number'] == 4)
    info = dataset.get_data_info(index)
    before = dataset[index]['data_samples'].gt_instance_labels.frame_keypoint_weights
    assert before[0, 0].sum() > 0
    (root / info['frame_paths'][0].split(str(root) + '/')[1]).unlink()  # frame 2 is gone
    after = dataset[index]['data_samples'].gt_instance_labels.frame_keypoint_weights
    assert after[0, 0].sum() == 0  # its stand-in frame must not be trained on frame 2's labels
    assert after[0, 1:].sum() > 0


def test_propagation_pairs_crop_with_source_box(tiny_posetrack):
    """The target's box is unknown at inference: training crops with the source's."""
    merged = json.loads((tiny_posetrack / 'annotations' / 'posetrack18_train.json').read_text())
    frame_of_image = {image['id']: image['file_name'] for image in merged['images']}
    boxes = {(frame_of_image[ann['image_id']], ann['track_id']): ann['bbox']
             for ann in merged['annotations']}
    dataset = build(tiny_posetrack, label_stride=2, propagation_pairs=dict(max_distance=4))
    np.random.seed(0)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        file_name = info['frame_paths'][0][len(str(tiny_posetrack)) + 1:]
        x, y, w, h = boxes[(file_name, info['track_id'])]
        np.testing.assert_allclose(info['bbox'][0], [x, y, x + w, y + h], rtol=1e-5)


def test_propagation_pairs_are_fixed_in_test_mode(tiny_posetrack):
    dataset = build(tiny_posetrack, split='val', test_mode=True,
                    propagation_pairs=dict(max_distance=3))
    first = [dataset.get_data_info(i)['source_offset'] for i in range(len(dataset))]
    np.random.seed(123)
    again = [dataset.get_data_info(i)['source_offset'] for i in range(len(dataset))]
    assert first == again and len(set(first)) > 1


def test_propagation_pairs_never_crop_with_the_target_box(tiny_posetrack, tmp_path):
    """A source without a box is never drawn: the target's box would leak (issue 15)."""
    root = copy_set(tiny_posetrack, tmp_path / 'set')
    ann_file = root / 'annotations' / 'posetrack18_train.json'
    content = json.loads(ann_file.read_text())
    frame_of_image = {image['id']: int(image['file_name'][-10:-4]) for image in content['images']}
    target_boxes = {}
    for ann in content['annotations']:
        number = frame_of_image[ann['image_id']]
        if number % 4 == 0:  # the sources of the pairs below: labelled, but no box
            del ann['bbox']
        target_boxes[(number, ann['track_id'])] = ann.get('bbox')
    ann_file.write_text(json.dumps(content))
    dataset = build(root, label_stride=2, propagation_pairs=dict(max_distance=4),
                    bad_data='off')
    np.random.seed(0)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert (info['frame_number'] + info['source_offset']) % 4 != 0  # boxed sources only
        box = target_boxes[(info['frame_number'], info['track_id'])]
        x, y, w, h = box
        assert not np.allclose(info['bbox'][0], [x, y, x + w, y + h])


def test_propagation_triples_cover_the_distances_of_use(tiny_posetrack):
    """Training targets see their labelled neighbours at the distances inference has."""
    from stdpose_mm.apis.propagation import plan_propagation
    from stdpose_mm.datasets.posetrack_annotations import (
        load_video_annotations,
        select_labeled_frames,
    )

    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')
    videos = load_video_annotations(ann_file, 17)
    labeled = select_labeled_frames(videos, label_stride=4)
    used = {(t.sides(track)[0] and t.frame_number - t.sides(track)[0].frame_number,
             t.sides(track)[1] and t.sides(track)[1].frame_number - t.frame_number)
            for t in plan_propagation(videos, labeled) for track in t.sources}

    def distances(**triples):
        dataset = build(tiny_posetrack, label_stride=4, propagation_triples=triples)
        seen = set()
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            assert info['key_frame_index'] == 2 and info['frame_offsets'][2] == 0
            before, after = info['neighbour_offsets'][0] * info['neighbour_present'][0]
            seen.add((int(-before) or None, int(after) or None))
        return seen

    labelled_only = distances()
    assert {d for pair in labelled_only for d in pair if d} == {4}  # the rule's gap
    covered = distances(hidden_targets=True)
    assert used <= covered  # every (before, after) distance pair of inference is trained
    np.random.seed(0)
    one_sided = build(tiny_posetrack, label_stride=4, propagation_triples=dict(
        hidden_targets=True, one_sided_prob=1.0))
    for index in range(len(one_sided)):
        assert one_sided.get_data_info(index)['neighbour_present'].sum() == 1
    with pytest.raises(ValueError, match='unknown keys'):
        build(tiny_posetrack, propagation_triples=dict(max_gap=3))


def pseudo_file_with_scores(tiny_posetrack, tmp_path, score):
    merged = json.loads((tiny_posetrack / 'annotations' / 'posetrack18_train.json').read_text())
    for ann in merged['annotations']:
        ann['scores'] = [score] * 17
    path = tmp_path / f'pseudo_{score}.json'
    path.write_text(json.dumps(merged))
    return str(path)


def test_pseudo_label_threshold_warns_with_the_count_dropped(tiny_posetrack, tmp_path,
                                                            monkeypatch):
    from stdpose_mm.datasets import posetrack_video_dataset as dataset_module

    messages = []
    monkeypatch.setattr(dataset_module, 'print_log',
                        lambda msg, **kwargs: messages.append((msg, kwargs.get('level'))))
    build(tiny_posetrack, label_stride=4, pseudo_label_score_thr=0.5,
          pseudo_label_file=pseudo_file_with_scores(tiny_posetrack, tmp_path, 0.33))
    warnings = [msg for msg, level in messages if level == logging.WARNING]
    assert any('dropped' in msg and 'every pseudo-label joint is dropped' in msg
               and 'pseudo_label_score_thr=0.5' in msg for msg in warnings), messages


def test_pseudo_label_weight_scales_the_key_frame_loss(tiny_posetrack, tmp_path):
    """A weight below 0.5 scales the key frame's loss; MMPose's codec skipped drawing the
    joints below visibility 0.5, so they were trained towards an empty heatmap."""
    pseudo = build(tiny_posetrack, label_stride=4, pseudo_label_weight=0.3,
                   pseudo_label_file=pseudo_file_with_scores(tiny_posetrack, tmp_path, 0.9),
                   pipeline=video_pipeline(train=True))
    index = next(i for i in range(len(pseudo)) if pseudo.get_data_info(i)['is_pseudo'])
    sample = pseudo[index]['data_samples']
    labels = sample.gt_instance_labels
    weights = labels.keypoint_weights.numpy()
    heatmaps = sample.gt_fields.heatmaps.numpy()  # (K, h, w)
    assert (heatmaps[weights[0] > 0].reshape(int((weights > 0).sum()), -1).max(1) > 0.9).all()
    assert weights.max() == pytest.approx(0.3)
    assert np.all(np.isclose(weights, 0) | np.isclose(weights, 0.3))
    frame_weights = labels.frame_keypoint_weights.numpy()
    assert frame_weights[0, 2].max() == pytest.approx(0.3)  # the key frame among the frames
