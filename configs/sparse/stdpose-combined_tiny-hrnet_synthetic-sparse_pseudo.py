# Sparse-label experiment, CPU, headline temporal model: the same 26.7% labels plus the
# pseudo-labels tools/propagate.py wrote for the other frames (retraining by config only).
#   python tools/train.py configs/sparse/stdpose-combined_tiny-hrnet_synthetic-sparse_pseudo.py \
#       [--cfg-options train_dataloader.dataset.pseudo_label_file=OTHER.json]
_base_ = ['./stdpose-combined_tiny-hrnet_synthetic-sparse_labels.py']

pseudo_label_file = 'work_dirs/sparse/pseudo_bidirectional.json'
# Scores mean the same for every propagator (carry_confidence): 0.3 keeps a label carried
# up to ~7 frames (every 7th frame labelled); the dataset warns with the count it drops.
pseudo_label_score_thr = 0.3  # our choice
pseudo_label_weight = 0.5  # our choice: loss weight of a pseudo-labelled joint (labels: 1)

train_dataloader = dict(
    dataset=dict(pseudo_label_file=pseudo_label_file,
                 pseudo_label_score_thr=pseudo_label_score_thr,
                 pseudo_label_weight=pseudo_label_weight))
