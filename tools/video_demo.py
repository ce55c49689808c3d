"""Video pose demo: detect, track and estimate poses with a T-frame model; render an mp4.

Writes ``OUTPUT_ROOT/<name>.mp4`` (skeletons and ``#<track id>`` on every frame) and
``OUTPUT_ROOT/<name>.json`` (MMPose's per-frame predictions layout,
``[{'frame_id', 'instances': [{'keypoints', 'keypoint_scores', 'bbox', 'bbox_score',
'track_id'}]}]``), where ``<name>`` is the video's name (``<folder>.mp4`` for a folder of
frames, ``webcam.mp4`` for a camera).

People come from, in order: ``--bboxes`` (MMPose detections json, see
``stdpose_mm/apis/inferencers/detections.py``), an MMDetection detector
(``--det-config``/``--det-checkpoint``), or one whole-frame box per frame. For real videos
use a COCO person detector: MMPose's own default for body models (the one
``MMPoseInferencer('human')`` downloads), RTMDet-m trained on COCO + Objects365 people::

    --det-config .venv/lib/python3.11/site-packages/mmpose/.mim/demo/mmdetection_cfg/\
rtmdet_m_640-8xb32_coco-person.py \
    --det-checkpoint https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/\
rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.pth --det-cat-id 0

(or the PoseTrack literature's released detections as ``--bboxes``).

An input that gives no frames (a missing path, a 0-byte or undecodable video, a folder
without images) is one ``error: ...`` line naming it and exit code 1, before any model loads.

A centred 5-frame model answers each frame 2 frames late (results are flushed at the end of
the input); ``--causal`` uses past frames only (no delay, for live input; a model trained
centred loses accuracy that way).

Example:
    python tools/video_demo.py configs/stdpose_hrnet_pt17.py stdpose.pth \\
        --input video.mp4 --output-root vis_results --device cuda:0 --kpt-thr 0.3
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='video pose model config')
    parser.add_argument('checkpoint', help="its checkpoint ('none': random weights); a file "
                        'that does not fill the model is refused')
    parser.add_argument('--input', required=True,
                        help="video file, folder of frames, or 'webcam:<id>'")
    parser.add_argument('--det-config', default=None, help='MMDetection config')
    parser.add_argument('--det-checkpoint', default=None, help='MMDetection checkpoint')
    parser.add_argument('--det-cat-id', type=int, default=0,
                        help='detector class id of people (0 on COCO)')
    parser.add_argument('--bboxes', default=None, help='detections json instead of a detector')
    parser.add_argument('--bbox-thr', type=float, default=0.3, help='box score threshold')
    parser.add_argument('--nms-thr', type=float, default=0.3, help='detector NMS IoU')
    parser.add_argument('--tracking-thr', type=float, default=0.3, help='tracking IoU')
    parser.add_argument('--output-root', default='', help='folder for the mp4 and json')
    parser.add_argument('--device', default='cuda:0', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--kpt-thr', type=float, default=0.3, help='keypoint score to draw')
    parser.add_argument('--radius', type=int, default=3, help='keypoint radius')
    parser.add_argument('--thickness', type=int, default=1, help='skeleton line width')
    parser.add_argument('--draw-bbox', action='store_true', help='draw the boxes')
    parser.add_argument('--show', action='store_true', help='show frames in a window')
    parser.add_argument('--causal', action='store_true', help='past frames only, no delay')
    parser.add_argument('--no-streaming', action='store_true',
                        help='recompute the backbone on every window frame (slower)')
    parser.add_argument('--fps', type=float, default=25., help='fps of a folder of frames')
    return parser.parse_args(argv)


def count_input_frames(source: str) -> Optional[int]:
    """Frames of a video file or image folder, for the progress bar (None for a camera)."""
    import cv2

    from stdpose_mm.apis.inferencers import list_frame_files

    if osp.isdir(source):
        return len(list_frame_files(source))
    if osp.isfile(source):
        capture = cv2.VideoCapture(source)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        return count or None
    return None


def main(argv: Optional[list] = None) -> None:
    args = parse_args(argv)
    if not args.output_root and not args.show:
        raise SystemExit('nothing to do: give --output-root and/or --show')

    from tqdm import tqdm

    from stdpose_mm.apis import VideoPoseInferencer
    from stdpose_mm.apis.inferencers import VideoInputError, check_video_input
    from stdpose_mm.engine.run_checks import CheckpointMismatchError
    from stdpose_mm.utils.checkpoint import TruncatedCheckpointError, UnsafeCheckpointError

    try:  # before the models load: a bad input fails at once
        check_video_input(args.input)
    except VideoInputError as err:
        raise SystemExit(f'error: {err}') from None
    try:
        inferencer = VideoPoseInferencer(
            args.config,
            None if args.checkpoint.lower() == 'none' else args.checkpoint,
            device=args.device,
            det_model=args.det_config if args.det_config else 'whole_image',
            det_weights=args.det_checkpoint,
            det_cat_ids=args.det_cat_id,
            causal=args.causal,
            streaming=not args.no_streaming,
            tracking_thr=args.tracking_thr,
            fps=args.fps)
    except (CheckpointMismatchError, TruncatedCheckpointError, UnsafeCheckpointError) as err:
        raise SystemExit(f'error: {err}') from None
    results = inferencer(
        args.input,
        bboxes=args.bboxes,
        bbox_thr=args.bbox_thr,
        nms_thr=args.nms_thr,
        show=args.show,
        kpt_thr=args.kpt_thr,
        radius=args.radius,
        thickness=args.thickness,
        draw_bbox=args.draw_bbox,
        vis_out_dir=args.output_root,
        pred_out_dir=args.output_root)
    num_frames = 0
    try:
        for _ in tqdm(results, total=count_input_frames(args.input), unit='frame'):
            num_frames += 1
    except VideoInputError as err:
        raise SystemExit(f'error: {err}') from None
    if not num_frames:
        raise SystemExit(f'error: no frame of the input {args.input} could be read')
    if args.output_root:
        name = osp.splitext(inferencer.video_info['name'])[0] \
            if inferencer._video_input else 'frames'
        print(f'wrote {osp.join(args.output_root, name)}.mp4 and .json')


if __name__ == '__main__':
    main()
