"""The streaming cache of the video inferencer and its window frames."""
import pytest


def test_crop_feature_cache_by_frame_and_box():
    from stdpose_mm.apis import CropFeatureCache, clamped_window

    cache = CropFeatureCache()
    cache.put((3, b'box-a'), 'a3')
    cache.put((1, b'box-a'), 'a1')  # any order: crops are cut when a window needs them
    cache.put((3, b'box-b'), 'b3')
    assert cache.window([(1, b'box-a'), (3, b'box-a'), (3, b'box-a')]) == ['a1', 'a3', 'a3']
    with pytest.raises(KeyError, match='frame 1'):
        cache.window([(1, b'box-b')])  # same frame, another box: another crop
    cache.drop_before(2)
    assert (1, b'box-a') not in cache and len(cache) == 2
    assert clamped_window(1, [-2, -1, 0, 1, 2], 0, 2) == [0, 0, 1, 2, 2]
