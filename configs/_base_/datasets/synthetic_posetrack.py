# The synthetic PoseTrack18-layout set made by tools/make_synthetic_posetrack.py.
dataset_type = 'PoseTrackVideoDataset'
data_root = 'data/synthetic_posetrack/'
train_ann_file = 'annotations/posetrack18_train.json'
val_ann_file = 'annotations/posetrack18_val.json'
val_bbox_file = None  # ground-truth boxes; set to the detections json to use detections

val_evaluator = dict(type='PoseTrackMetric', ann_file=data_root + val_ann_file)
test_evaluator = val_evaluator
