"""Person detections json for PoseTrack val/test from any MMDetection model.

Runs the detector on every frame listed by a PoseTrack annotation file (PT17/18 merged json,
or PT21's folder of per-video jsons) and writes the detections json the val configs read
(``bbox_file``): ``[{'image_id', 'bbox': [x, y, w, h], 'score', 'category_id': 1}]``, image
ids those of the annotation file. Frames are read from ``--data-root`` + ``file_name``
(default: two folders above the annotation file, PoseTrack's layout).

Example (MMPose's default person detector, RTMDet-m on COCO + Objects365 people)::

    python tools/detect_people.py \\
        .venv/lib/python3.11/site-packages/mmpose/.mim/demo/mmdetection_cfg/\\
rtmdet_m_640-8xb32_coco-person.py \\
        https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/\\
rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.pth \\
        data/posetrack17/annotations/posetrack17_val.json \\
        data/posetrack17/annotations/posetrack17_val_human_detections.json --device cuda:0
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('det_config', help='MMDetection config')
    parser.add_argument('det_checkpoint', help="its checkpoint ('none': random weights)")
    parser.add_argument('ann_file', help='PoseTrack annotations: merged json or folder')
    parser.add_argument('out', help='detections json to write')
    parser.add_argument('--data-root', default=None,
                        help='folder of the frames\' file_name (default: two folders above '
                        'ann_file)')
    parser.add_argument('--det-cat-id', type=int, nargs='+', default=[0],
                        help='detector class ids kept as people (0 on COCO)')
    parser.add_argument('--score-thr', type=float, default=0.,
                        help='drop boxes scoring lower (the configs filter again)')
    parser.add_argument('--batch-size', type=int, default=4, help='frames per detector call')
    parser.add_argument('--device', default='cuda:0', help='device, e.g. cpu or cuda:0')
    return parser.parse_args(argv)


def main(argv: Optional[list] = None) -> None:
    args = parse_args(argv)
    from mmdet.apis import init_detector

    from stdpose_mm.apis.inferencers.person_detection import detect_people, write_detections
    from stdpose_mm.datasets.posetrack_annotations import PoseTrackAnnotationError

    checkpoint = None if args.det_checkpoint.lower() == 'none' else args.det_checkpoint
    detector = init_detector(args.det_config, checkpoint, device=args.device)
    try:
        detections = detect_people(detector, args.ann_file, args.data_root, args.det_cat_id,
                                   args.score_thr, args.batch_size)
    except (FileNotFoundError, PoseTrackAnnotationError) as err:
        raise SystemExit(f'error: {err}') from None
    write_detections(detections, args.out)
    print(f'wrote {len(detections)} detections on '
          f'{len({d["image_id"] for d in detections})} frames to {args.out}')


if __name__ == '__main__':
    main()
