"""PoseTrack17 "annolist" -> PoseTrack18 conversion (stdpose_mm.datasets.converters)."""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from stdpose_mm.datasets import PoseTrackVideoDataset
from stdpose_mm.datasets.converters import convert_posetrack17, convert_posetrack17_video
from stdpose_mm.datasets.posetrack_annotations import PoseTrackAnnotationError
from stdpose_mm.evaluation.functional import evaluate_posetrack

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOL = REPO_ROOT / 'tools' / 'convert_posetrack17.py'
PT18_NAMES = [
    'nose', 'head_bottom', 'head_top', 'left_ear', 'right_ear', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
# PoseTrack17 joint id -> PoseTrack18 keypoint name, written out independently of the
# converter's table (poseval convert.py POSETRACK18_LM_NAMES / eval_helpers.Joint).
PT17_ID_TO_NAME = {
    0: 'right_ankle', 1: 'right_knee', 2: 'right_hip', 3: 'left_hip', 4: 'left_knee',
    5: 'left_ankle', 6: 'right_wrist', 7: 'right_elbow', 8: 'right_shoulder',
    9: 'left_shoulder', 10: 'left_elbow', 11: 'left_wrist', 12: 'head_bottom', 13: 'nose',
    14: 'head_top'
}
BONN_VIDEO = '000001_bonn_relpath_5sec_testsub'
MPII_VIDEO = '000342_mpii_relpath_5sec_testsub'
BONN_IDS = 2 * 10**10 + 1 * 10**4  # source 2 (bonn), video 1, + 1-based frame number
MPII_IDS = 1 * 10**10 + 342 * 10**4  # source 1 (mpii), video 342
MISSING_JOINT = 11  # left wrist of track 0 on frame 1
OCCLUDED_JOINT = 7  # right elbow of track 0 on frame 1 (is_visible 0)


def joint_xy(track_id: int, joint: int, shift: float = 0.0) -> tuple:
    """Distinct coordinates per person and joint; people 500 px apart."""
    return 100.0 + 500 * track_id + 10 * joint + shift, 100.0 + 20 * joint + shift


def singlet_person(track_id: int, shift: float = 0.0, skip: tuple = (),
                   occluded: tuple = ()) -> dict:
    """One annorect as the official files write it (every value in a 1-element list)."""
    x0 = 100.0 + 500 * track_id + shift
    points = []
    for joint in range(15):
        if joint in skip:
            continue
        x, y = joint_xy(track_id, joint, shift)
        points.append({'id': [joint], 'x': [x], 'y': [y],
                       'is_visible': [0 if joint in occluded else 1]})
    return {'x1': [x0], 'y1': [40.0], 'x2': [x0 + 40], 'y2': [90.0], 'track_id': [track_id],
            'annopoints': [{'point': points}]}


def bonn_video() -> dict:
    """3 frames: 2 people (one joint missing, one occluded) + ignore region, 2 people + a
    person without points, and an unlabelled frame."""
    folder = 'images/bonn/000001_bonn'
    region = {'point': [{'x': [x], 'y': [y]} for x, y in
                        ((1000, 0), (1100, 0), (1100, 50), (1000, 50))]}
    return {'annolist': [
        {'image': [{'name': f'{folder}/00000001.jpg'}], 'imgnum': [1], 'is_labeled': [1],
         'ignore_regions': [region],
         'annorect': [singlet_person(0, skip=(MISSING_JOINT, ), occluded=(OCCLUDED_JOINT, )),
                      singlet_person(1)]},
        {'image': [{'name': f'{folder}/00000002.jpg'}], 'imgnum': [2], 'is_labeled': [1],
         'annorect': [singlet_person(0, shift=5), singlet_person(1, shift=5),
                      {'x1': [900], 'y1': [40], 'x2': [940], 'y2': [90], 'track_id': [2],
                       'annopoints': []}]},
        {'image': [{'name': f'{folder}/00000003.jpg'}], 'imgnum': [3], 'is_labeled': [0],
         'annorect': []},
    ]}


def mpii_video() -> dict:
    """1 frame, 1 person, written with bare scalars (no SingletArray) and no is_visible."""
    points = [{'id': joint, 'x': joint_xy(0, joint)[0], 'y': joint_xy(0, joint)[1]}
              for joint in range(15)]
    person = {'x1': 100, 'y1': 40, 'x2': 140, 'y2': 90, 'track_id': 3,
              'annopoints': {'point': points}}
    return {'annolist': [{'image': {'name': 'images/mpii/000342_mpii/00000005.jpg'},
                          'is_labeled': 1, 'annorect': [person]}]}


def write_sources(src: Path) -> Path:
    src.mkdir(parents=True)
    (src / f'{BONN_VIDEO}.json').write_text(json.dumps(bonn_video()))
    (src / f'{MPII_VIDEO}.json').write_text(json.dumps(mpii_video()))
    (src / f'{BONN_VIDEO}.mat').write_bytes(b'MATLAB 5.0')  # the originals sit alongside
    return src


@pytest.fixture(scope='module')
def converted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('pt17')
    src = write_sources(root / 'pt17' / 'val')
    summary = convert_posetrack17(str(src), str(root / 'out'), 'val', progress=False)
    assert summary['videos'] == 2 and summary['images'] == 4
    assert summary['annotations'] == 6
    return root / 'out'


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def people_by_track(video: dict, image_id: int) -> dict:
    return {ann['track_id']: ann for ann in video['annotations'] if ann['image_id'] == image_id}


def test_writes_per_video_and_merged_files(converted):
    assert sorted(p.name for p in (converted / 'val').iterdir()) == [
        f'{BONN_VIDEO}.json', f'{MPII_VIDEO}.json']
    assert sorted(p.name for p in converted.iterdir()) == ['posetrack17_val.json', 'val']
    merged = load(converted / 'posetrack17_val.json')
    videos = [load(converted / 'val' / f'{name}.json') for name in (BONN_VIDEO, MPII_VIDEO)]
    assert merged['images'] == videos[0]['images'] + videos[1]['images']
    assert merged['annotations'] == videos[0]['annotations'] + videos[1]['annotations']
    assert merged['categories'] == videos[0]['categories']


def test_keypoints_are_mapped_joint_by_joint(converted):
    video = load(converted / 'val' / f'{BONN_VIDEO}.json')
    people = people_by_track(video, BONN_IDS + 1)
    for track_id, person in people.items():
        keypoints = person['keypoints']
        assert len(keypoints) == 17 * 3
        for joint, name in PT17_ID_TO_NAME.items():
            slot = PT18_NAMES.index(name)
            if track_id == 0 and joint == MISSING_JOINT:
                assert keypoints[3 * slot:3 * slot + 3] == [0, 0, 0]
            else:
                assert keypoints[3 * slot:3 * slot + 3] == [*joint_xy(track_id, joint), 1], name
        for ear in ('left_ear', 'right_ear'):
            slot = PT18_NAMES.index(ear)
            assert keypoints[3 * slot:3 * slot + 3] == [0, 0, 0]
    # The spot checks of the brief: nose, head_bottom, head_top lead the PT18 list.
    first = people[1]['keypoints']
    assert first[0:2] == list(joint_xy(1, 13))  # PT17 13 (nose) -> 0
    assert first[3:5] == list(joint_xy(1, 12))  # PT17 12 (neck) -> head_bottom 1
    assert first[6:8] == list(joint_xy(1, 14))  # PT17 14 (head top) -> head_top 2
    assert people[0]['num_keypoints'] == 14 and people[1]['num_keypoints'] == 15
    # is_visible 0 stays annotated (1) and is kept as the 'occluded' flag.
    assert people[0]['occluded'] == [int(name == 'right_elbow') for name in PT18_NAMES]
    assert people[1]['occluded'] == [0] * 17


def test_boxes_tracks_and_annotation_fields(converted):
    video = load(converted / 'val' / f'{BONN_VIDEO}.json')
    people = people_by_track(video, BONN_IDS + 1)
    assert set(people) == {0, 1}
    person = people[1]
    assert person['bbox_head'] == [600.0, 40.0, 40.0, 50.0]
    # 1.3x the box of the annotated joints, about its centre (poseval / PoseTrack18 rule).
    xs = [joint_xy(1, j)[0] for j in range(15)]
    ys = [joint_xy(1, j)[1] for j in range(15)]
    width, height = 1.3 * (max(xs) - min(xs)), 1.3 * (max(ys) - min(ys))
    expected = [(max(xs) + min(xs) - width) / 2, (max(ys) + min(ys) - height) / 2, width, height]
    assert person['bbox'] == pytest.approx(expected)
    assert person['id'] == (BONN_IDS + 1) * 100 + 1
    assert person['category_id'] == 1 and person['iscrowd'] is False
    assert person['scores'] == []
    frame2 = people_by_track(video, BONN_IDS + 2)
    assert set(frame2) == {0, 1, 2}
    no_points = frame2[2]
    assert no_points['keypoints'] == [0] * 51 and no_points['num_keypoints'] == 0
    assert 'bbox' not in no_points and no_points['bbox_head'] == [900, 40, 40, 50]
    mpii = load(converted / 'val' / f'{MPII_VIDEO}.json')
    assert [ann['track_id'] for ann in mpii['annotations']] == [3]
    assert 'occluded' not in mpii['annotations'][0]  # no is_visible in the source


def test_images_ids_labels_and_ignore_regions(converted):
    video = load(converted / 'val' / f'{BONN_VIDEO}.json')
    images = video['images']
    assert [im['file_name'] for im in images] == [
        f'images/bonn/000001_bonn/0000000{n}.jpg' for n in (1, 2, 3)]
    assert [im['id'] for im in images] == [BONN_IDS + n for n in (1, 2, 3)]
    assert [im['frame_id'] for im in images] == [im['id'] for im in images]
    assert [im['is_labeled'] for im in images] == [True, True, False]
    assert {im['vid_id'] for im in images} == {'000001'}
    assert {im['nframes'] for im in images} == {3}
    assert images[0]['ignore_regions_x'] == [[1000, 1100, 1100, 1000]]
    assert images[0]['ignore_regions_y'] == [[0, 0, 50, 50]]
    assert images[1]['ignore_regions_x'] == [] and images[1]['ignore_regions_y'] == []
    assert not any(ann['image_id'] == BONN_IDS + 3 for ann in video['annotations'])
    mpii = load(converted / 'val' / f'{MPII_VIDEO}.json')
    assert mpii['images'][0]['id'] == MPII_IDS + 5
    assert mpii['images'][0]['vid_id'] == '000342'


def test_categories_match_the_real_posetrack18_files(converted, real_sample):
    real = load(real_sample / 'annotations' / 'val' / '003418_mpii_test.json')
    assert load(converted / 'posetrack17_val.json')['categories'] == real['categories']


def test_converted_files_load_as_video_dataset(converted):
    for ann_file in (converted / 'posetrack17_val.json', converted / 'val'):
        dataset = PoseTrackVideoDataset(
            ann_file=str(ann_file), data_prefix=dict(img='/pt17/'), pipeline=[],
            test_mode=True, bad_data='off')  # annotations only: no frames to check
        # 2 + 2 people on the bonn frames (the point-less person is skipped) + 1 mpii.
        assert len(dataset) == 5
        infos = [dataset[i] for i in range(len(dataset))]
        keys = [(info['vid_id'], info['frame_number'], info['track_id']) for info in infos]
        assert keys == [('000001', 1, 0), ('000001', 1, 1), ('000001', 2, 0),
                        ('000001', 2, 1), ('000342', 5, 3)]
        first = infos[0]
        assert first['img_id'] == BONN_IDS + 1
        assert first['img_path'] == '/pt17/images/bonn/000001_bonn/00000001.jpg'
        assert first['num_keypoints'] == 14
        # PoseTrack17 numbers frames from 1: the window of frame 1 clamps at frame 1.
        assert all(not path.endswith('00000000.jpg') for path in first['frame_paths'])
        assert first['frame_offsets'][:3] == [0, 0, 0]
        nose = PT18_NAMES.index('nose')
        assert first['keypoints'][0, nose].tolist() == list(joint_xy(0, 13))


def test_converted_gt_evaluates_to_100_against_itself(converted, tmp_path):
    pred_dir = tmp_path / 'pred'
    pred_dir.mkdir()
    for gt_file in (converted / 'val').iterdir():
        video = load(gt_file)
        for ann in video['annotations']:
            ann['scores'] = [float(v > 0) for v in ann['keypoints'][2::3]]
        (pred_dir / gt_file.name).write_text(json.dumps(video))
    result = evaluate_posetrack(str(converted / 'val'), str(pred_dir))
    assert result['Total'] == 100.0
    assert all(ap == 100.0 for ap in result['per_joint'].values())
    occluded = evaluate_posetrack(str(converted / 'val'), str(pred_dir), subset='occluded')
    assert occluded['per_joint']['right_elbow'] == 100.0
    assert math.isnan(occluded['per_joint']['nose'])


def _point(video: dict, frame: int, person: int, index: int) -> dict:
    return video['annolist'][frame]['annorect'][person]['annopoints'][0]['point'][index]


def _without_x(video: dict) -> None:
    del _point(video, 0, 1, 2)['x']


def _bad_joint_id(video: dict) -> None:
    _point(video, 1, 0, 0)['id'] = [15]


def _without_head_box(video: dict) -> None:
    del video['annolist'][0]['annorect'][0]['x1']


def _two_values(video: dict) -> None:
    video['annolist'][0]['annorect'][1]['track_id'] = [1, 2]


def _string_coordinate(video: dict) -> None:
    _point(video, 0, 0, 0)['y'] = ['12']


@pytest.mark.parametrize('corrupt, field', [
    (_without_x, r'annolist\[0\]\.annorect\[1\]\.annopoints\[0\]\.point\[2\]\.x'),
    (_bad_joint_id, r'annolist\[1\]\.annorect\[0\]\.annopoints\[0\]\.point\[0\]\.id'),
    (_without_head_box, r'annolist\[0\]\.annorect\[0\]\.x1'),
    (_two_values, r'annolist\[0\]\.annorect\[1\]\.track_id'),
    (_string_coordinate, r'annolist\[0\]\.annorect\[0\]\.annopoints\[0\]\.point\[0\]\.y'),
])
def test_malformed_field_is_named_with_the_file(tmp_path, corrupt, field):
    src = write_sources(tmp_path / 'src')
    video = bonn_video()
    corrupt(video)
    (src / f'{BONN_VIDEO}.json').write_text(json.dumps(video))
    with pytest.raises(PoseTrackAnnotationError, match=field) as info:
        convert_posetrack17(str(src), str(tmp_path / 'out'), 'val', progress=False)
    assert f'{BONN_VIDEO}.json' in str(info.value)
    assert not (tmp_path / 'out').exists()  # nothing is written before all videos pass


@pytest.mark.parametrize('content, message', [
    ('{"images": [], "annotations": []}', 'annolist'),  # a PoseTrack18 file
    ('{"annolist": [', 'malformed json'),
])
def test_wrong_or_broken_file_is_named(tmp_path, content, message):
    src = write_sources(tmp_path / 'src')
    (src / f'{MPII_VIDEO}.json').write_text(content)
    with pytest.raises(PoseTrackAnnotationError, match=message) as info:
        convert_posetrack17(str(src), str(tmp_path / 'out'), 'val', progress=False)
    assert f'{MPII_VIDEO}.json' in str(info.value)


def test_folder_without_json_and_duplicate_videos_raise(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(PoseTrackAnnotationError, match='no .json'):
        convert_posetrack17(str(tmp_path / 'empty'), str(tmp_path / 'out'), 'val')
    src = write_sources(tmp_path / 'src')
    (src / 'copy_of_bonn.json').write_text(json.dumps(bonn_video()))
    with pytest.raises(PoseTrackAnnotationError, match="vid_id.*'000001'"):
        convert_posetrack17(str(src), str(tmp_path / 'out'), 'val', progress=False)


def test_repeated_joint_id_keeps_the_first_point_with_a_warning():
    video = mpii_video()
    points = video['annolist'][0]['annorect'][0]['annopoints']['point']
    points.append({'id': 13, 'x': 1.0, 'y': 2.0})
    with pytest.warns(UserWarning, match='repeat a joint id'):
        out = convert_posetrack17_video(video, MPII_VIDEO, 'val', 0)
    assert out['annotations'][0]['keypoints'][0:3] == [*joint_xy(0, 13), 1]


def _load_tool():
    spec = importlib.util.spec_from_file_location('convert_posetrack17_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_converts_and_reports_bad_input_in_one_line(tmp_path, capsys):
    tool = _load_tool()
    src = write_sources(tmp_path / 'src')
    assert tool.main([str(src), str(tmp_path / 'out'), '--split', 'val', '--quiet']) == 0
    assert (tmp_path / 'out' / 'posetrack17_val.json').is_file()
    capsys.readouterr()
    (src / f'{MPII_VIDEO}.json').write_text('{"annolist": 3}')
    with pytest.raises(SystemExit) as info:
        tool.main([str(src), str(tmp_path / 'out2'), '--split', 'val', '--quiet'])
    assert info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and MPII_VIDEO in lines[0]


@pytest.mark.parametrize('args', [[], ['src', 'out'], ['src', 'out', '--split', 'test']])
def test_cli_bad_arguments_exit_2_with_one_error_line(args):
    proc = subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
