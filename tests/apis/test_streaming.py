import pytest

from stdpose_mm.apis.streaming import FrameRingBuffer, TrackFeatureCache, track_window


def test_ring_buffer_keeps_last_capacity_frames():
    buffer = FrameRingBuffer(3)
    for frame in range(5):
        buffer.put(frame, f'f{frame}')
    assert buffer.frames == [2, 3, 4] and len(buffer) == 3 and buffer.latest == 4
    assert buffer.window([2, 4, 4]) == ['f2', 'f4', 'f4']
    assert 1 not in buffer
    with pytest.raises(KeyError, match='not cached'):
        buffer.get(1)


def test_ring_buffer_gaps_and_order():
    buffer = FrameRingBuffer(2)
    buffer.put(0, 'a')
    buffer.put(5, 'b')  # gap: the track was missing on frames 1-4
    assert buffer.frames == [0, 5]
    with pytest.raises(ValueError, match='increasing'):
        buffer.put(5, 'c')
    with pytest.raises(ValueError):
        FrameRingBuffer(0)


def test_track_cache_drop_stale():
    cache = TrackFeatureCache(2)
    cache.put(0, 0, 'a')
    cache.put(0, 1, 'b')
    cache.put(1, 3, 'c')
    assert cache.window(0, [0, 1, 1]) == ['a', 'b', 'b']
    cache.drop_stale(2)
    assert [track for track, _ in cache] == [1]


def test_track_window_centred_clamps_towards_key():
    present = {3, 4, 5, 7}  # missing on 6, video starts at 3 for this track
    window = track_window(4, [-2, -1, 0, 1, 2], present.__contains__)
    assert window == [3, 3, 4, 5, 5]
    assert track_window(5, [-2, -1, 0, 1, 2], present.__contains__) == [3, 4, 5, 5, 7]


def test_track_window_causal():
    present = set(range(10))
    assert track_window(1, [-4, -3, -2, -1, 0], present.__contains__) == [0, 0, 0, 0, 1]
    assert track_window(6, [-4, -3, -2, -1, 0], present.__contains__) == [2, 3, 4, 5, 6]
