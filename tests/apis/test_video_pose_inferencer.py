"""Video inference with the tiny CPU STDPose model (random weights) on short synthetic videos."""
import glob
import json
import os
import re
from pathlib import Path
from typing import Dict, List

import cv2
import mmengine
import numpy as np
import pytest
import torch

from stdpose_mm.apis import TrackPoseLocalVisualizer, VideoPoseInferencer
from stdpose_mm.apis.inferencers import FrameDetections, WindowJob
from tests.conftest import REPO_ROOT

VIDEO_CONFIG = str(REPO_ROOT / 'configs/cpu/stdpose_tiny-hrnet_synthetic.py')
SINGLE_FRAME_CONFIG = str(REPO_ROOT / 'configs/cpu/td-hm_tiny-hrnet_synthetic.py')
NUM_FRAMES = 9


def write_mp4(frame_paths: List[str], out_file: str, fps: float = 10.) -> str:
    """Encodes frames (same size) into an mp4 (OpenCV's mp4v, as MMPose writes)."""
    first = cv2.imread(frame_paths[0])
    writer = cv2.VideoWriter(out_file, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (first.shape[1], first.shape[0]))
    for path in frame_paths:
        writer.write(cv2.imread(path))
    writer.release()
    return out_file


def count_frames(video_file: str) -> int:
    """Frames that actually decode (not the container's claimed count)."""
    capture = cv2.VideoCapture(video_file)
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def make_synthetic_video(root: Path, num_frames: int = NUM_FRAMES) -> Dict[str, object]:
    """A synthetic val video (2 people, no occluders): frames, mp4 and GT detections json.

    Returns:
        dict: ``frames_dir``, ``video`` (mp4), ``dets`` (detections json path, MMPose
        format with PoseTrack image ids) and ``gt_tracks`` (per frame, list of
        (xyxy box, GT track id)).
    """
    from stdpose_mm.datasets.synthetic import generate_posetrack

    generate_posetrack(str(root), num_videos={'val': 1}, num_frames=num_frames,
                       image_size=(192, 144), people_per_video=(2, 2), occluder_prob=0.,
                       write_masks=False, seed=3)
    frames_dir = glob.glob(str(root / 'images/val/*'))[0]
    frame_paths = sorted(glob.glob(frames_dir + '/*.jpg'))
    video = write_mp4(frame_paths, str(root / 'synthetic.mp4'))
    ann = json.loads(Path(glob.glob(str(root / 'annotations/val/*.json'))[0]).read_text())
    dets, gt_tracks = [], [[] for _ in frame_paths]
    for item in ann['annotations']:
        x, y, w, h = item['bbox']
        dets.append(dict(image_id=item['image_id'], bbox=[x, y, w, h], score=1.,
                         category_id=1))
        gt_tracks[item['image_id'] % 10000].append(
            (np.array([x, y, x + w, y + h]), item['track_id']))
    det_file = str(root / 'dets.json')
    Path(det_file).write_text(json.dumps(dets))
    return dict(frames_dir=frames_dir, video=video, dets=det_file, gt_tracks=gt_tracks)


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    return make_synthetic_video(tmp_path_factory.mktemp('synthetic_video'))


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return VideoPoseInferencer(VIDEO_CONFIG, device='cpu')


def gt_track_of(box: np.ndarray, gt: list) -> int:
    errors = [np.abs(box - gt_box).max() for gt_box, _ in gt]
    assert min(errors) < 1e-2  # the given boxes come back unchanged
    return gt[int(np.argmin(errors))][1]


def test_video_results_tracks_and_outputs(inferencer, video, tmp_path):
    # kpt_thr=0: every keypoint of the random model is drawn (MMPose's drawing under NumPy 2)
    results = list(inferencer(video['video'], bboxes=video['dets'], out_dir=str(tmp_path),
                              kpt_thr=0.))
    assert len(results) == NUM_FRAMES
    mapping = {}
    for frame, result in enumerate(results):
        people = result['predictions'][0]
        assert len(people) == len(video['gt_tracks'][frame]) == 2
        for person in people:
            assert np.asarray(person['keypoints']).shape == (17, 2)
            gt_id = gt_track_of(np.asarray(person['bbox'][0]), video['gt_tracks'][frame])
            assert mapping.setdefault(gt_id, person['track_id']) == person['track_id']
    assert len(set(mapping.values())) == 2  # two people, two ids, all video long

    rendered = tmp_path / 'visualizations' / 'synthetic.mp4'
    assert rendered.is_file() and count_frames(str(rendered)) == NUM_FRAMES
    saved = mmengine.load(str(tmp_path / 'predictions' / 'synthetic.json'))
    assert [item['frame_id'] for item in saved] == list(range(NUM_FRAMES))
    assert {p['track_id'] for item in saved for p in item['instances']} == set(
        mapping.values())


def test_streaming_equals_recompute(inferencer, video):
    calls = []
    hook = inferencer.model.backbone.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    try:
        outputs = {}
        for streaming in (True, False):
            calls.clear()
            results = list(inferencer(video['frames_dir'], bboxes=video['dets'],
                                      streaming=streaming, return_datasamples=True))
            assert len(results) == NUM_FRAMES
            outputs[streaming] = (results, sum(calls))
    finally:
        hook.remove()
    for cached, recomputed in zip(outputs[True][0], outputs[False][0]):
        cached, recomputed = cached['predictions'][0], recomputed['predictions'][0]
        np.testing.assert_array_equal(cached.pred_instances.track_ids,
                                      recomputed.pred_instances.track_ids)
        np.testing.assert_allclose(cached.pred_instances.keypoints,
                                   recomputed.pred_instances.keypoints, atol=1e-4)
        np.testing.assert_allclose(cached.pred_instances.keypoint_scores,
                                   recomputed.pred_instances.keypoint_scores, atol=1e-4)
    views = 2 if inferencer.model.test_cfg.get('flip_test') else 1
    # The GT boxes move every frame: each window cuts its distinct frames with its key box.
    clamped = [len(set(min(max(k + o, 0), NUM_FRAMES - 1) for o in range(-2, 3)))
               for k in range(NUM_FRAMES)]
    assert outputs[True][1] == views * 2 * sum(clamped)  # each distinct crop once
    assert outputs[False][1] == views * 2 * NUM_FRAMES * 5  # T crops per window


def test_streaming_runs_the_backbone_once_per_crop_when_boxes_hold(inferencer, video):
    """A person whose box does not change: every crop serves all T windows."""
    frames = sorted(glob.glob(video['frames_dir'] + '/*.jpg'))
    boxes = [np.array([[10., 10, 90, 140], [100., 10, 180, 140]])] * len(frames)
    calls = []
    hook = inferencer.model.backbone.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    try:
        outputs = {}
        for streaming in (True, False):
            calls.clear()
            outputs[streaming] = list(inferencer(frames, bboxes=boxes, streaming=streaming,
                                                 return_datasamples=True)), sum(calls)
    finally:
        hook.remove()
    views = 2 if inferencer.model.test_cfg.get('flip_test') else 1
    assert outputs[True][1] == views * 2 * NUM_FRAMES  # one backbone pass per crop
    assert outputs[False][1] == views * 2 * NUM_FRAMES * 5
    for cached, recomputed in zip(outputs[True][0], outputs[False][0]):
        np.testing.assert_allclose(cached['predictions'][0].pred_instances.keypoints,
                                   recomputed['predictions'][0].pred_instances.keypoints,
                                   atol=1e-4)


def test_video_features_match_the_model(inferencer):
    model = inferencer.model
    clips = torch.randn(2, 5, 3, 128, 96)
    with torch.no_grad():
        expected = model.extract_feat(clips)
        frame_feats = inferencer._backbone(clips.flatten(0, 1)).unflatten(0, (2, 5))
        got = inferencer.video_features(frame_feats, key_position=2)
        torch.testing.assert_close(model.head(got), model.head(expected))


def _key_frames_by_arrival(inferencer, frames, **kwargs):
    """(frames consumed, key frame) for each job, consuming inputs lazily."""
    consumed = []

    def feed():
        for frame in frames:
            consumed.append(frame)
            yield frame

    return [(len(consumed), job.key_frame, job)
            for job, _ in inferencer.preprocess(feed(), bboxes=None, **kwargs)]


def test_delay_centred_and_causal(inferencer, video):
    frames = sorted(glob.glob(video['frames_dir'] + '/*.jpg'))[:6]
    assert inferencer.delay(causal=False) == 2 and inferencer.delay(causal=True) == 0
    centred = _key_frames_by_arrival(inferencer, frames)
    # Frame i comes out once frame i + 2 is in, the last two at the end (clamped).
    assert [(n, k) for n, k, _ in centred] == [(3, 0), (4, 1), (5, 2), (6, 3), (6, 4), (6, 5)]
    last_job: WindowJob = centred[-1][2]
    assert last_job.windows[0][1] == [3, 4, 5, 5, 5] and last_job.key_position == 2
    causal = _key_frames_by_arrival(inferencer, frames, causal=True)
    assert [(n, k) for n, k, _ in causal] == [(i + 1, i) for i in range(6)]
    assert causal[1][2].windows[0][1] == [0, 0, 0, 0, 1] and causal[1][2].key_position == 4
    assert causal[5][2].windows[0][1] == [1, 2, 3, 4, 5]
    results = list(inferencer(frames, causal=True))
    assert len(results) == 6 and all(len(r['predictions'][0]) == 1 for r in results)


def test_whole_frame_box_without_detector(inferencer, video):
    results = list(inferencer(video['video']))
    assert len(results) == NUM_FRAMES
    for result in results:
        (person, ) = result['predictions'][0]  # one whole-frame person per frame
        np.testing.assert_allclose(person['bbox'][0], [0, 0, 192, 144])
        assert person['track_id'] == 0


def test_frames_without_detections_give_empty_results(inferencer, video):
    frames = sorted(glob.glob(video['frames_dir'] + '/*.jpg'))[:4]
    boxes = [np.array([[20., 20, 80, 130]]), np.zeros((0, 4)), np.zeros((0, 4)),
             np.array([[22., 20, 82, 130]])]
    results = list(inferencer(frames, bboxes=boxes, return_vis=True))
    assert [len(r['predictions'][0]) for r in results] == [1, 0, 0, 1]
    assert results[0]['predictions'][0][0]['track_id'] == results[3]['predictions'][0][0][
        'track_id']  # 2 missed frames <= max_missed: the track continues
    assert results[1]['visualization'][0].shape == (144, 192, 3)


def test_track_ids_are_drawn(inferencer, video):
    assert isinstance(inferencer.visualizer, TrackPoseLocalVisualizer)
    frame = cv2.imread(sorted(glob.glob(video['frames_dir'] + '/*.jpg'))[0])
    (result, ) = list(inferencer([frame], return_vis=True, return_datasamples=True,
                                 kpt_thr=2.))  # no keypoint drawn: only the id remains
    sample = result['predictions'][0]
    drawn = result['visualization'][0]
    del sample.pred_instances.track_ids
    inferencer.visualizer.set_dataset_meta(inferencer.model.dataset_meta)
    plain = inferencer.visualizer.add_datasample('x', frame[..., ::-1].copy(), sample,
                                                 draw_gt=False, kpt_thr=2.)
    assert (drawn != plain).any()


def test_mmpose_inferencer_dispatches_video_configs(video):
    from mmpose.apis import MMPoseInferencer, Pose2DInferencer

    torch.manual_seed(0)
    mmpose_inferencer = MMPoseInferencer(pose2d=VIDEO_CONFIG, device='cpu')
    assert isinstance(mmpose_inferencer.inferencer, VideoPoseInferencer)
    results = list(mmpose_inferencer(video['frames_dir'], bboxes=video['dets'], causal=True))
    assert len(results) == NUM_FRAMES
    assert all(len(r['predictions'][0]) == 2 for r in results)
    assert all('track_id' in p for r in results for p in r['predictions'][0])
    single = MMPoseInferencer(pose2d=SINGLE_FRAME_CONFIG, device='cpu', det_model='whole_image')
    assert type(single.inferencer) is Pose2DInferencer


def test_mmdet_detector_with_random_weights(video, tmp_path):
    """The MMDetection path: boxes flow from a random-weight RTMDet-tiny to tracks."""
    mmdet_configs = Path(__import__('mmdet').__file__).parent / '.mim' / 'configs'
    det_config = tmp_path / 'rtmdet_tiny_3boxes.py'
    det_config.write_text(
        f"_base_ = ['{mmdet_configs / 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py'}']\n"
        "model = dict(backbone=dict(init_cfg=None), test_cfg=dict(max_per_img=3))\n")
    torch.manual_seed(0)
    inferencer = VideoPoseInferencer(VIDEO_CONFIG, device='cpu', det_model=str(det_config),
                                     det_weights=None, det_cat_ids=tuple(range(80)))
    assert inferencer.detector is not None
    frames = sorted(glob.glob(video['frames_dir'] + '/*.jpg'))[:3]
    results = list(inferencer(frames, bbox_thr=0., nms_thr=1.))
    assert len(results) == 3
    for result in results:
        people = result['predictions'][0]
        assert 1 <= len(people) <= 3
        assert all(isinstance(p['track_id'], int) for p in people)


def test_real_clip(real_sample, tmp_path):
    clips = glob.glob(str(real_sample / 'videos' / '*' / '*.mp4'))
    if not clips:
        pytest.skip('no real clip in the shared sample')
    torch.manual_seed(0)
    inferencer = VideoPoseInferencer(VIDEO_CONFIG, device='cpu')
    num_frames = count_frames(clips[0])
    results = list(inferencer(clips[0], out_dir=str(tmp_path)))
    assert len(results) == num_frames == 5
    assert {p['track_id'] for r in results for p in r['predictions'][0]} == {0}
    rendered = tmp_path / 'visualizations' / os.path.basename(clips[0])
    assert count_frames(str(rendered)) == num_frames


def test_frame_detections_formats(tmp_path):
    entries = [dict(image_name='000001.jpg', bbox=[0, 0, 10, 20], score=0.9, category_id=1),
               dict(frame_index=2, bbox=[1, 1, 2, 2], score=0.5),
               dict(image_id=11000010003, bbox=[5, 5, 5, 5], score=0.8, category_id=1),
               dict(image_id=11000010003, bbox=[5, 5, 5, 5], score=0.8, category_id=2)]
    path = tmp_path / 'dets.json'
    path.write_text(json.dumps(entries))
    dets = FrameDetections(str(path))
    np.testing.assert_allclose(dets(0, 'a/000001.jpg'), [[0, 0, 10, 20, 0.9]])
    np.testing.assert_allclose(dets(7, '000002.jpg'), [[1, 1, 3, 3, 0.5]])
    np.testing.assert_allclose(dets(3, 'clip.mp4'), [[5, 5, 10, 10, 0.8]])  # frame number
    assert dets(4, '000004.jpg').shape == (0, 5)
    per_frame = FrameDetections([[[0, 0, 4, 4]], []])
    np.testing.assert_allclose(per_frame(0, 'x.jpg'), [[0, 0, 4, 4, 1]])
    assert per_frame(1, 'y.jpg').shape == (0, 5)


def test_spread_frame_offsets_stream_like_recompute(video):
    """Offsets -4, -2, 0, 2, 4 span 9 frames: the cache keeps 9 per track, not 5."""
    from mmengine import Config

    cfg = Config.fromfile(VIDEO_CONFIG)
    cfg.test_dataloader.dataset.frame_indices = [-4, -2, 0, 2, 4]
    torch.manual_seed(0)
    inferencer = VideoPoseInferencer(cfg, device='cpu')
    assert inferencer.delay() == 4
    outputs = [list(inferencer(video['frames_dir'], bboxes=video['dets'], streaming=streaming,
                               return_datasamples=True)) for streaming in (True, False)]
    for cached, recomputed in zip(*outputs):
        np.testing.assert_allclose(cached['predictions'][0].pred_instances.keypoints,
                                   recomputed['predictions'][0].pred_instances.keypoints,
                                   atol=1e-4)


def test_rejects_single_frame_models():
    with pytest.raises(TypeError, match='VideoTopdownPoseEstimator'):
        VideoPoseInferencer(SINGLE_FRAME_CONFIG, device='cpu', det_model='whole_image')


def make_bad_inputs(root: Path) -> Dict[str, str]:
    """Inputs that give no frames: name -> path (the path need not exist)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / 'empty.mp4').write_bytes(b'')
    (root / 'garbage.mp4').write_bytes(np.random.default_rng(0).bytes(4096))
    (root / 'no_images').mkdir(exist_ok=True)
    (root / 'no_images' / 'README').write_text('not a frame')
    return dict(zero_bytes=str(root / 'empty.mp4'), undecodable=str(root / 'garbage.mp4'),
                empty_folder=str(root / 'no_images'), missing=str(root / 'missing.mp4'))


@pytest.mark.parametrize('case', ['zero_bytes', 'undecodable', 'empty_folder', 'missing'])
def test_inputs_without_frames_raise_naming_the_path(inferencer, tmp_path, case):
    from mmpose.apis import MMPoseInferencer

    from stdpose_mm.apis.inferencers import VideoInputError

    path = make_bad_inputs(tmp_path)[case]
    with pytest.raises(VideoInputError, match=re.escape(path)):
        list(inferencer(path))
    facade = MMPoseInferencer.__new__(MMPoseInferencer)  # MMPose's own __call__, our model
    facade.inferencer, facade.show_progress = inferencer, False
    with pytest.raises(VideoInputError, match=re.escape(path)):
        list(facade(path))


def test_folder_with_other_files_reads_its_images(inferencer, video, tmp_path):
    frames = tmp_path / 'frames'
    frames.mkdir()
    for path in sorted(glob.glob(video['frames_dir'] + '/*.jpg'))[:3]:
        (frames / os.path.basename(path)).write_bytes(Path(path).read_bytes())
    (frames / 'README').write_text('not a frame')  # MMPose's listing fails on this name
    results = list(inferencer(str(frames)))
    assert len(results) == 3 and inferencer.video_info['name'] == 'frames.mp4'


def test_frame_detections_of_several_videos_stay_apart(tmp_path):
    """A val detections json covers every video: a frame gets its own video's boxes."""
    entries = [dict(image_id=11000010000, bbox=[0, 0, 10, 10], score=0.9, category_id=1),
               dict(image_id=11000020000, bbox=[5, 5, 10, 10], score=0.8, category_id=1),
               dict(image_name='images/val/a/000000.jpg', bbox=[1, 1, 1, 1], score=0.7),
               dict(image_name='images/val/b/000000.jpg', bbox=[2, 2, 2, 2], score=0.6)]
    path = tmp_path / 'dets.json'
    path.write_text(json.dumps(entries[:2]))
    dets = FrameDetections(str(path))
    np.testing.assert_allclose(dets(0, '/data/images/val/100002_synthetic/000000.jpg'),
                               [[5, 5, 15, 15, 0.8]])
    np.testing.assert_allclose(dets(0, '/data/100001_x/000000.jpg'), [[0, 0, 10, 10, 0.9]])
    with pytest.raises(ValueError, match=re.escape('/data/clip/000000.jpg')):
        dets(0, '/data/clip/000000.jpg')  # which video? never silently both
    path.write_text(json.dumps(entries[2:]))
    np.testing.assert_allclose(FrameDetections(str(path))(0, '/data/b/000000.jpg'),
                               [[2, 2, 4, 4, 0.6]])
