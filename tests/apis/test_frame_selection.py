"""The labelling plan: ranking, diversity, seeds, errors and the json the dataset reads."""
import json

import numpy as np
import pytest

from stdpose_mm.apis import (
    PLAN_KEY,
    labelling_plan,
    read_plan,
    simulate_labelling,
    suggest_frames,
)
from stdpose_mm.datasets import (
    PoseTrackVideoDataset,
    load_json,
    load_video_annotations,
    select_labeled_frames,
)

NUM_JOINTS = 17


def write_videos(path, trajectories, labelled, num_frames=25, hidden_joint=None):
    """One person per video whose joints are at ``x = f(t)``, labelled on ``labelled``.

    ``hidden_joint``: ``(vid_id, frame, joint)`` labelled invisible there.
    """
    images, annotations = [], []
    for v, (vid_id, position) in enumerate(sorted(trajectories.items())):
        for t in range(num_frames):
            image_id = 1000 * (v + 1) + t
            images.append(dict(id=image_id, vid_id=vid_id, nframes=num_frames,
                               file_name=f'images/{vid_id}/{t:06d}.jpg'))
            if t not in labelled:
                continue
            x = position(t)
            keypoints = np.stack([np.full(NUM_JOINTS, x), 50.0 + 5 * np.arange(NUM_JOINTS),
                                  np.ones(NUM_JOINTS)], axis=1)
            if hidden_joint is not None and hidden_joint[:2] == (vid_id, t):
                keypoints[hidden_joint[2]] = 0
            annotations.append(dict(
                id=len(annotations), image_id=image_id, track_id=0,
                keypoints=keypoints.reshape(-1).round(2).tolist(),
                bbox=[x - 20, 40, 40, 100], bbox_head=[x - 5, 40, 10, 10]))
    path.write_text(json.dumps(dict(images=images, annotations=annotations)))
    return str(path)


def plan_for(tmp_path, trajectories, budget=1, labelled=(0, 8, 16, 24), num_frames=25,
             **kwargs):
    ann_file = write_videos(tmp_path / 'ann.json', trajectories, set(labelled), num_frames,
                            hidden_joint=kwargs.pop('hidden_joint', None))
    videos = load_video_annotations(ann_file, NUM_JOINTS)
    labeled = select_labeled_frames(videos)
    assert all(frames == list(labelled) for frames in labeled.values())
    return labelling_plan(videos, labeled, budget, **kwargs)


def static(t):
    return 100.0


def swing(t):  # a joint that goes out and back between two labels: interpolation is flat
    return 100.0 + 0.5 * (t - 12) ** 2


def test_motion_the_interpolation_misses_ranks_above_a_static_frame(tmp_path):
    picks = plan_for(tmp_path, {'a_static': static, 'b_swing': swing})
    assert picks[0].vid_id == 'b_swing' and 9 <= picks[0].frame <= 15
    assert picks[0].score > 1 and 'left/right motion' in picks[0].why
    # The same motion in the first video: the order of the videos does not decide.
    picks = plan_for(tmp_path, {'a_swing': swing, 'b_static': static})
    assert picks[0].vid_id == 'a_swing'


def test_uniform_motion_is_not_uncertain_but_a_one_sided_joint_is(tmp_path):
    def walk(t):
        return 100.0 + 4 * t

    picks = plan_for(tmp_path, {'a_static': static, 'b_walk': walk})
    assert picks[0].vid_id == 'a_static'  # a tie: interpolation is exact for both
    # The wrist is hidden at frame 16: from 8 to 24 it is copied while the person walks.
    picks = plan_for(tmp_path, {'a_static': static, 'b_walk': walk},
                     hidden_joint=('b_walk', 16, 9))
    assert picks[0].vid_id == 'b_walk' and 8 < picks[0].frame < 24 and picks[0].frame != 16
    assert 'one side only' in picks[0].why


def test_greedy_rescores_and_never_picks_neighbours(tmp_path):
    picks = plan_for(tmp_path, {'a_swing': swing}, budget=8, labelled=(0, 24))
    frames = sorted(p.frame for p in picks) + [0, 24]
    taken = sorted(frames)
    assert len(set(frames)) == 10 and min(np.diff(taken)) >= 2
    assert [p.rank for p in picks] == list(range(1, 9))
    gains = [p.score for p in picks]
    assert gains[0] == max(gains)  # re-scored: later picks gain less
    adjacent = plan_for(tmp_path, {'a_swing': swing}, budget=8, labelled=(0, 24),
                        min_separation=1)
    assert len({p.frame for p in adjacent}) == 8


def test_budget_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match='budget 8 is larger than the 7 unlabelled frames'):
        plan_for(tmp_path, {'a': static}, budget=8, labelled=(0, 8), num_frames=9)
    with pytest.raises(ValueError, match='min_separation=2'):
        plan_for(tmp_path, {'a': static}, budget=4, labelled=(0, 8), num_frames=9)


def test_videos_without_labels_start_from_a_uniform_seed(tmp_path):
    ann_file = write_videos(tmp_path / 'ann.json', {'a': static}, set(), num_frames=24)
    videos = load_video_annotations(ann_file, NUM_JOINTS)
    picks = labelling_plan(videos, {}, 4)
    assert [p.frame for p in picks[:3]] == [4, 12, 20]
    assert all(p.score is None and 'uniform seed' in p.why for p in picks[:3])
    assert abs(picks[3].frame - 4) >= 2 and abs(picks[3].frame - 12) >= 2


def test_plan_json_is_read_back_by_the_dataset(tiny_posetrack, tmp_path):
    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')
    out = tmp_path / 'plan.json'
    picks, content = suggest_frames(ann_file, 2, str(out), label_rule=dict(label_stride=4))
    videos = load_video_annotations(ann_file, NUM_JOINTS)
    before = select_labeled_frames(videos, label_stride=4)
    expected = {vid_id: sorted(frames + [p.frame for p in picks if p.vid_id == vid_id])
                for vid_id, frames in before.items()}
    assert sum(len(v) for v in expected.values()) == sum(len(v) for v in before.values()) + 2
    assert read_plan(str(out)) == expected
    assert select_labeled_frames(videos, labeled_frames=load_json(str(out))) == expected
    dataset = PoseTrackVideoDataset(ann_file=ann_file, labeled_frames=str(out), pipeline=[],
                                    data_prefix=dict(img=str(tiny_posetrack) + '/'))
    assert dataset.labeled_frame_numbers == expected
    plan = json.loads(out.read_text())[PLAN_KEY]
    assert plan['budget'] == 2 and plan['labelled_before'] == 4
    for entry in plan['picks']:
        assert set(entry) == {'rank', 'vid_id', 'frame', 'file_name', 'score', 'why'}
        assert entry['file_name'].endswith(f'{entry["frame"]:06d}.jpg')
    assert content == json.loads(out.read_text())


def test_read_plan_names_the_bad_field(tmp_path):
    path = tmp_path / 'plan.json'
    path.write_text(json.dumps({'v1': [0, 'four']}))
    with pytest.raises(ValueError, match=r"plan.json: field 'v1'"):
        read_plan(str(path))


def test_simulation_scores_every_policy(tiny_posetrack):
    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')
    result = simulate_labelling(ann_file, [2], seed_stride=4, random_seeds=[0, 1])
    assert result['seed']['labelled'] == 4 and result['frames'] == 16
    assert [r['policy'] for r in result['runs']] == ['plan', 'uniform', 'random', 'random']
    for run in result['runs']:
        assert run['labelled'] == 6 and 0 <= run['occluded'] <= 100
        assert 0 <= run['all'] <= 100


def test_proportional_fairness_caps_each_video(tmp_path):
    picks = plan_for(tmp_path, {'a_static': static, 'b_swing': swing}, budget=2)
    assert [p.vid_id for p in picks] == ['b_swing', 'b_swing']
    fair = plan_for(tmp_path, {'a_static': static, 'b_swing': swing}, budget=2,
                    fairness='proportional')
    assert sorted(p.vid_id for p in fair) == ['a_static', 'b_swing']


def test_retraining_labels_are_what_the_dataset_reads(tiny_posetrack, tmp_path):
    """Each policy's training labels: its frames labelled, the others interpolated."""
    from stdpose_mm.apis import picks_for_policy
    from stdpose_mm.apis.labelling_retrain import retrain_options, write_policy_labels

    ann_file = str(tiny_posetrack / 'annotations' / 'posetrack18_train.json')
    videos = load_video_annotations(ann_file, NUM_JOINTS)
    seed = select_labeled_frames(videos, label_stride=4)
    picks = picks_for_policy('plan', videos, seed, 2)
    out = write_policy_labels(ann_file, videos, seed, picks, str(tmp_path / 'plan'))
    labelled = {vid_id: sorted(frames + [p.frame for p in picks if p.vid_id == vid_id])
                for vid_id, frames in seed.items()}
    dataset = PoseTrackVideoDataset(
        ann_file=ann_file, labeled_frames=out['labelled_file'], pipeline=[],
        pseudo_label_file=out['pseudo_file'], data_prefix=dict(img=str(tiny_posetrack) + '/'))
    assert dataset.labeled_frame_numbers == labelled
    pseudo_videos = load_video_annotations(out['pseudo_file'], NUM_JOINTS)
    pseudo_frames = {(vid_id, n) for vid_id, video in pseudo_videos.items() for n in video.frames}
    assert len(pseudo_frames) == 16 - 6  # every unlabelled frame, none labelled
    assert all(frame not in labelled[vid_id] for vid_id, frame in pseudo_frames)
    assert 0 <= out['pseudo_occluded'] <= 100 and 0 < out['pseudo_all'] <= 100
    options = retrain_options('root/', out['labelled_file'], out['pseudo_file'], 3, 1,
                              ['train_dataloader.batch_size=2'])
    assert f'train_dataloader.dataset.labeled_frames={out["labelled_file"]}' in options
    assert 'train_dataloader.dataset.label_stride=None' in options
    assert 'train_cfg.max_epochs=3' in options and 'randomness.seed=1' in options
    assert options[-1] == 'train_dataloader.batch_size=2'  # the caller's options win
