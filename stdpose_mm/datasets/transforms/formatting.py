"""Packing video samples for the model."""
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackVideoPoseInputs(PackPoseInputs):
    """:class:`mmpose.datasets.transforms.PackPoseInputs` for T-frame samples.

    ``inputs`` is a uint8 tensor (T, 3, H, W) (MMPose stacks a list of images). The
    per-frame targets join the key frame's: ``gt_fields.frame_heatmaps`` (T*K, h, w) and
    ``gt_instance_labels.frame_keypoint_weights`` (1, T, K); for pose propagation, the
    source pose input ``gt_fields.source_heatmaps`` (K, h, w). ``num_frames``,
    ``key_frame_index``, ``frame_paths``, ``frame_offsets``, ``vid_id`` and ``track_id``
    join the metainfo.
    """

    field_mapping_table = dict(PackPoseInputs.field_mapping_table,
                               frame_heatmaps='frame_heatmaps',
                               source_heatmaps='source_heatmaps')
    label_mapping_table = dict(PackPoseInputs.label_mapping_table,
                               frame_keypoint_weights='frame_keypoint_weights')

    def __init__(self,
                 meta_keys=('id', 'img_id', 'img_path', 'category_id', 'crowd_index',
                            'ori_shape', 'img_shape', 'input_size', 'input_center',
                            'input_scale', 'flip', 'flip_direction', 'flip_indices',
                            'raw_ann_info', 'dataset_name', 'num_frames', 'key_frame_index',
                            'frame_paths', 'frame_offsets', 'vid_id', 'track_id',
                            'frame_number', 'source_offset'),
                 pack_transformed: bool = False) -> None:
        super().__init__(meta_keys=meta_keys, pack_transformed=pack_transformed)

    def transform(self, results: dict) -> dict:
        # Encoders may set their own tables in results; make sure ours extend them.
        for table_name in ('field_mapping_table', 'label_mapping_table'):
            if table_name in results:
                results[table_name] = dict(results[table_name],
                                           **getattr(type(self), table_name))
        return super().transform(results)
