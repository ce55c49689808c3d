import numpy as np
import pytest

from stdpose_mm.apis.tracking import IoUTracker, bbox_iou


def test_bbox_iou():
    ious = bbox_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10],
                                                          [20, 20, 30, 30], [0, 0, 0, 0]]))
    np.testing.assert_allclose(ious, [[1., 50 / 150, 0., 0.]])


def test_ids_stable_under_small_motion():
    tracker = IoUTracker(iou_thr=0.3)
    left, right = np.array([10., 10, 50, 90]), np.array([100., 10, 140, 90])
    first = tracker.update(np.stack([left, right]))
    for step in range(1, 10):
        shift = np.array([2., 1, 2, 1]) * step
        # Order of the boxes changes: ids must follow the people, not the order.
        ids = tracker.update(np.stack([right + shift, left + shift]))
        assert ids.tolist() == [first[1], first[0]]


def test_new_person_gets_new_id():
    tracker = IoUTracker()
    assert tracker.update(np.array([[10., 10, 50, 90]])).tolist() == [0]
    ids = tracker.update(np.array([[11., 10, 51, 90], [100., 10, 140, 90]]))
    assert ids.tolist() == [0, 1]


def test_greedy_gives_the_box_to_the_best_overlap():
    tracker = IoUTracker(iou_thr=0.1)
    tracker.update(np.array([[0., 0, 10, 10], [6., 0, 16, 10]]))
    ids = tracker.update(np.array([[5., 0, 15, 10]]))  # overlaps track 1 most
    assert ids.tolist() == [1]


def test_expired_id_is_not_reused():
    tracker = IoUTracker(max_missed=2)
    box = np.array([[10., 10, 50, 90]])
    assert tracker.update(box).tolist() == [0]
    tracker.update(np.zeros((0, 4)))
    tracker.update(np.zeros((0, 4)))
    assert tracker.update(box).tolist() == [0]  # 2 missed frames: still alive
    for _ in range(3):
        tracker.update(np.zeros((0, 4)))
    assert tracker.update(box).tolist() == [1]  # 3 missed: expired, fresh id


def test_low_iou_starts_new_track_and_scores_are_ignored():
    tracker = IoUTracker(iou_thr=0.5)
    tracker.update(np.array([[0., 0, 10, 10, 0.9]]))
    assert tracker.update(np.array([[6., 0, 16, 10, 0.9]])).tolist() == [1]


def test_bad_arguments():
    with pytest.raises(ValueError):
        IoUTracker(iou_thr=1.5)
    with pytest.raises(ValueError):
        IoUTracker(max_missed=-1)
