import json
import os

import numpy as np
import pytest

from stdpose_mm.apis.propagation import (
    LabeledPose,
    PropagationTarget,
    copy_nearest,
    evaluate_pseudo_labels,
    fuse_sides,
    interpolate_linear,
    plan_propagation,
    propagation_json,
    run_baseline,
)
from stdpose_mm.apis.pseudo_label_writer import (
    PropagationOutputExists,
    PropagationRunMismatch,
    partial_path,
    write_pseudo_labels,
)
from stdpose_mm.datasets import PoseTrackVideoDataset
from stdpose_mm.datasets.posetrack_annotations import (
    load_video_annotations,
    select_labeled_frames,
)


def pose(frame, x, visible=None, num_keypoints=17):
    keypoints = np.zeros((num_keypoints, 3), np.float32)
    keypoints[:, 0] = x
    keypoints[:, 1] = np.arange(num_keypoints)
    keypoints[:, 2] = 1 if visible is None else visible
    return LabeledPose(frame, keypoints, np.array([x, 0, 10, 20], np.float32))


def target(frame, sources):
    return PropagationTarget('v', frame, {'id': frame}, sources)


@pytest.fixture(scope='module')
def train_videos(tiny_posetrack):
    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')
    return ann_file, load_video_annotations(ann_file, 17)


def test_plan_lists_unlabelled_frames_with_both_neighbours(train_videos):
    _, videos = train_videos
    labeled = select_labeled_frames(videos, label_stride=3)  # frames 0, 3, 6 of 8
    targets = plan_propagation(videos, labeled)
    per_video = {vid: [t.frame_number for t in targets if t.vid_id == vid] for vid in videos}
    for vid, numbers in per_video.items():
        assert numbers == [n for n in sorted(videos[vid].frames) if n not in labeled[vid]]
    for t in targets:
        sources = {s.frame_number for poses in t.sources.values() for s in poses}
        before = [n for n in labeled[t.vid_id] if n < t.frame_number]
        after = [n for n in labeled[t.vid_id] if n > t.frame_number]
        assert sources == set(before[-1:] + after[:1])
    # max_distance drops far sources: frame 7 has only frame 6 (distance 1)
    near = plan_propagation(videos, labeled, max_distance=1)
    assert all(abs(s.frame_number - t.frame_number) <= 1
               for t in near for poses in t.sources.values() for s in poses)


def test_copy_takes_the_nearest_and_interpolation_the_line():
    t = target(3, {7: [pose(2, 10.0), pose(6, 50.0)]})
    copied = copy_nearest(t)[0]
    assert copied.track_id == 7
    np.testing.assert_allclose(copied.keypoints[:, 0], 10.0)
    assert copied.scores[0] == pytest.approx(2 ** -0.25)  # carry_confidence(1)
    interpolated = interpolate_linear(t)[0]
    np.testing.assert_allclose(interpolated.keypoints[:, 0], 20.0)  # 1/4 of the way
    np.testing.assert_allclose(interpolated.bbox, [20, 0, 10, 20])


def test_interpolation_copies_joints_labelled_on_one_side():
    visible_after = np.ones(17)
    visible_after[0] = 0
    visible_before = np.ones(17)
    visible_before[1] = 0
    t = target(4, {1: [pose(2, 10.0, visible_before), pose(6, 50.0, visible_after)]})
    result = interpolate_linear(t)[0]
    assert result.keypoints[0, 0] == 10.0 and result.keypoints[1, 0] == 50.0
    assert result.keypoints[2, 0] == pytest.approx(30.0)
    assert result.visible.all()


def test_fusion_weights_sides_by_score_over_distance():
    t = target(3, {1: [pose(2, 0.0), pose(6, 0.0)]})
    near, far = t.sources[1]
    keypoints_near = np.full((17, 2), 10.0)
    keypoints_far = np.full((17, 2), 40.0)
    fused = fuse_sides(t, 1, [(near, keypoints_near, np.full(17, 0.9)),
                              (far, keypoints_far, np.full(17, 0.9))])
    # weights 0.9/1 and 0.9/3 -> 3:1
    np.testing.assert_allclose(fused.keypoints, 17.5, rtol=1e-5)
    np.testing.assert_allclose(fused.scores, 0.9, rtol=1e-5)


def test_json_keeps_tracks_and_per_joint_scores(train_videos):
    _, videos = train_videos
    targets = plan_propagation(videos, select_labeled_frames(videos, label_stride=4))
    content = propagation_json(run_baseline('interpolate', targets))
    assert len(content['images']) == len(targets)
    image_ids = {image['id'] for image in content['images']}
    for ann in content['annotations']:
        assert ann['image_id'] in image_ids
        assert len(ann['keypoints']) == 17 * 3 and len(ann['scores']) == 17
        assert isinstance(ann['track_id'], int) and len(ann['bbox']) == 4
    source_tracks = {track for t in targets for track in t.sources}
    assert {ann['track_id'] for ann in content['annotations']} == source_tracks


def test_interpolation_scores_high_against_hidden_labels(train_videos):
    ann_file, videos = train_videos
    targets = plan_propagation(videos, select_labeled_frames(videos, label_stride=2))
    copied = evaluate_pseudo_labels(ann_file, propagation_json(run_baseline('copy', targets)))
    interpolated = evaluate_pseudo_labels(
        ann_file, propagation_json(run_baseline('interpolate', targets)))
    assert 0 < copied['Total'] <= interpolated['Total'] <= 100


def test_write_is_atomic_refuses_and_resumes(tmp_path):
    out = str(tmp_path / 'pseudo.json')
    targets = {'a': [target(1, {0: [pose(0, 5.0)]})], 'b': [target(1, {0: [pose(0, 9.0)]})]}
    calls = []

    def killed_in_b(vid_id):
        calls.append(vid_id)
        if vid_id == 'b':
            raise KeyboardInterrupt  # killed while propagating the second video
        return run_baseline('copy', targets[vid_id])

    with pytest.raises(KeyboardInterrupt):
        write_pseudo_labels(out, killed_in_b, ['a', 'b'])
    assert not os.path.exists(out)  # never half a file
    with open(partial_path(out), 'a') as f:
        f.write('{"vid_id": "b", "images": [')  # a torn line from the kill
    with pytest.raises(PropagationOutputExists, match='--resume'):
        write_pseudo_labels(out, killed_in_b, ['a', 'b'])

    calls.clear()
    content = write_pseudo_labels(out, lambda v: (calls.append(v), run_baseline(
        'copy', targets[v]))[1], ['a', 'b'], resume=True)
    assert calls == ['b']  # 'a' came from the progress file
    assert not os.path.exists(partial_path(out))
    assert json.load(open(out)) == content
    assert [ann['id'] for ann in content['annotations']] == [0, 1]
    with pytest.raises(PropagationOutputExists, match='--overwrite'):
        write_pseudo_labels(out, lambda v: run_baseline('copy', targets[v]), ['a'])
    write_pseudo_labels(out, lambda v: run_baseline('copy', targets[v]), ['a'],
                        overwrite=True)
    assert len(json.load(open(out))['images']) == 1


def test_dataset_trains_on_the_written_pseudo_labels(train_videos, tiny_posetrack, tmp_path):
    ann_file, videos = train_videos
    labeled = select_labeled_frames(videos, label_stride=4)
    out = str(tmp_path / 'pseudo.json')
    targets = plan_propagation(videos, labeled)
    by_video = {}
    for t in targets:
        by_video.setdefault(t.vid_id, []).append(t)
    write_pseudo_labels(out, lambda v: run_baseline('interpolate', by_video[v]),
                        sorted(by_video))

    def build(**kwargs):
        return PoseTrackVideoDataset(ann_file=ann_file, label_stride=4,
                                     data_prefix=dict(img=str(tiny_posetrack) + '/'),
                                     pipeline=[], **kwargs)

    sparse, pseudo = build(), build(pseudo_label_file=out, pseudo_label_score_thr=0.4)
    assert len(pseudo) > len(sparse)
    pseudo_infos = [pseudo.get_data_info(i) for i in range(len(pseudo))]
    assert any(info['is_pseudo'] for info in pseudo_infos)
    for info in pseudo_infos:
        if info['is_pseudo']:
            assert info['frame_number'] not in labeled[info['vid_id']]


def test_baseline_scores_survive_a_half_threshold():
    """Scores mean carry_confidence for every method: d=2 is not below 0.5 (was 1/3)."""
    t = target(4, {7: [pose(2, 10.0), pose(8, 50.0)]})
    for propagate in (copy_nearest, interpolate_linear):
        scores = propagate(t)[0].scores
        np.testing.assert_allclose(scores, 2 ** -0.5, rtol=1e-6)  # 2 frames from a label
        assert scores.min() >= 0.5


def killed_run(out, run):
    targets = {'a': [target(1, {0: [pose(0, 5.0)]})], 'b': [target(1, {0: [pose(0, 9.0)]})]}

    def killed_in_b(vid_id):
        if vid_id == 'b':
            raise KeyboardInterrupt
        return run_baseline('copy', targets[vid_id])

    with pytest.raises(KeyboardInterrupt):
        write_pseudo_labels(out, killed_in_b, ['a', 'b'], run=run)
    return targets


def test_resume_refuses_a_partial_of_another_run(tmp_path):
    out = str(tmp_path / 'pseudo.json')
    run = dict(method='model', checkpoint=dict(path='/a.pth', sha256='1'),
               label_rule=dict(label_stride=4))
    targets = killed_run(out, run)
    before = open(partial_path(out)).read()
    assert json.loads(before.splitlines()[0]) == {'run': run}  # recorded in the file
    for change in (dict(method='interpolate'), dict(checkpoint=dict(path='/b.pth', sha256='2')),
                   dict(label_rule=dict(label_stride=7))):
        key = next(iter(change))
        with pytest.raises(PropagationRunMismatch, match=key):
            write_pseudo_labels(out, lambda v: run_baseline('copy', targets[v]), ['a', 'b'],
                                resume=True, run=dict(run, **change))
        assert open(partial_path(out)).read() == before and not os.path.exists(out)
    content = write_pseudo_labels(out, lambda v: run_baseline('copy', targets[v]), ['a', 'b'],
                                  resume=True, run=run)
    assert len(content['images']) == 2


def test_resume_rewrites_the_partial_atomically(tmp_path, monkeypatch):
    """A kill while the progress file is rewritten (torn tail dropped) keeps the progress."""
    out = str(tmp_path / 'pseudo.json')
    run = dict(method='copy')
    targets = killed_run(out, run)
    with open(partial_path(out), 'a') as f:
        f.write('{"vid_id": "b", "images": [')  # a torn line from the kill
    before = open(partial_path(out)).read()
    real_dumps = json.dumps

    def killed_dumps(value, *args, **kwargs):
        if isinstance(value, dict) and value.get('vid_id') == 'a':
            raise KeyboardInterrupt  # killed while writing the finished videos back
        return real_dumps(value, *args, **kwargs)

    monkeypatch.setattr(json, 'dumps', killed_dumps)
    with pytest.raises(KeyboardInterrupt):
        write_pseudo_labels(out, lambda v: run_baseline('copy', targets[v]), ['a', 'b'],
                            resume=True, run=run)
    monkeypatch.setattr(json, 'dumps', real_dumps)
    assert open(partial_path(out)).read() == before  # video 'a' is not lost


@pytest.fixture(scope='module')
def untrained_bidirectional(tmp_path_factory):
    import torch
    from mmengine import Config
    from mmpose.registry import MODELS

    from tests.conftest import REPO_ROOT

    config = str(REPO_ROOT / 'configs/cpu/stdpose-bipropagation_tiny-hrnet_synthetic.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    path = tmp_path_factory.mktemp('bidirectional') / 'untrained.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return config, str(path)


def test_propagate_from_config_untrained_model_equals_interpolation(
        untrained_bidirectional, tiny_posetrack, tmp_path):
    from stdpose_mm.apis import propagate_from_config

    config, checkpoint = untrained_bidirectional
    common = dict(data_root=f'{tiny_posetrack}/', label_rule=dict(label_stride=4),
                  num_workers=0, batch_size=8, log=lambda _: None)
    model = propagate_from_config(config, str(tmp_path / 'model.json'), checkpoint,
                                  evaluate=True, **common)
    interpolated = propagate_from_config(config, str(tmp_path / 'interp.json'),
                                         method='interpolate', evaluate=True, **common)
    pairs = list(zip(model['content']['annotations'], interpolated['content']['annotations']))
    assert pairs and len(model['content']['annotations']) == len(pairs)
    for a, b in pairs:
        assert (a['image_id'], a['track_id']) == (b['image_id'], b['track_id'])
        np.testing.assert_allclose(a['keypoints'], b['keypoints'], atol=0.02)
        np.testing.assert_allclose(a['scores'], b['scores'], atol=1e-3)
    metrics = model['metrics']
    assert set(metrics['by_distance']) == {1, 2, 3}  # 8 frames, every 4th labelled
    assert metrics['all']['Total'] == pytest.approx(interpolated['metrics']['all']['Total'])
    record = json.loads(open(str(tmp_path / 'model.json')).read())  # written atomically
    assert record['images']
