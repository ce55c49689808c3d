# STDPose retrained on 26.7% labels + pseudo-labels from tools/propagate.py (the paper's
# sparse-label result), HRNet-W48 384x288, PoseTrack17. Labelled frames keep their labels;
# pseudo-labels fill the other frames, joint by joint above a score threshold.
#   python tools/train.py configs/stdpose_pseudo-label_hrnet_pt17.py \
#       [--cfg-options train_dataloader.dataset.pseudo_label_file=OTHER.json]
_base_ = ['./stdpose_hrnet_pt17.py']

label_stride = 4  # 8 / 30 = 26.7% of PoseTrack17's labelled training frames, as propagated
pseudo_label_file = 'work_dirs/stdpose_propagation_hrnet_pt17/pseudo_labels.json'
# A score is the joint's heatmap peak, 1 for a label, 2 ** (-d / 4) for a label carried d
# frames without image evidence (stdpose_mm.datasets.propagation_samples.carry_confidence),
# the same for every propagator; with every 4th frame labelled d <= 2 (scores >= 0.71).
pseudo_label_score_thr = 0.3  # our choice: the dataset warns with the count it drops
pseudo_label_weight = 0.5  # our choice: scales the joint's loss (real labels: 1)

train_dataloader = dict(
    dataset=dict(label_stride=label_stride, pseudo_label_file=pseudo_label_file,
                 pseudo_label_score_thr=pseudo_label_score_thr,
                 pseudo_label_weight=pseudo_label_weight))
