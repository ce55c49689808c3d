"""Resumable, atomic writing of a pseudo-label json, video by video."""
import json
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from ..utils.atomic_io import atomic_write_bytes
from .propagation import PropagatedPose, PropagationTarget, propagation_json


class PropagationOutputExists(FileExistsError):
    """The output (or an unfinished run's progress file) exists and may not be replaced."""


class PropagationRunMismatch(PropagationOutputExists):
    """``--resume`` found a progress file written by another run (method, checkpoint ...)."""


def write_json(content: dict, path: str) -> None:
    """Write ``content`` as json atomically (the old file or the new one, never half)."""
    atomic_write_bytes(json.dumps(content).encode(), path)


def partial_path(out_file: str) -> str:
    """Progress file of an unfinished run writing ``out_file``.

    Its first line is ``{"run": {...}}``, the record of what produced it (method,
    checkpoint, label rule ...); then one json line per finished video.
    """
    return f'{out_file}.partial'


def _read_progress(progress_file: str) -> Tuple[Optional[dict], Dict[str, dict]]:
    """The run record and the finished videos of a progress file (a torn tail dropped)."""
    run, done = None, {}
    with open(progress_file) as f:
        for number, line in enumerate(f):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break  # the line being written when the run was killed
            if number == 0 and set(entry) == {'run'}:
                run = entry['run']
            else:
                done[entry['vid_id']] = entry
    return run, done


def _progress_bytes(run: Optional[dict], done: Dict[str, dict]) -> bytes:
    lines = ([json.dumps({'run': run})] if run is not None else []) + \
        [json.dumps(entry) for entry in done.values()]
    return ''.join(line + '\n' for line in lines).encode()


def _mismatch(recorded: Optional[dict], run: dict) -> List[str]:
    if recorded is None:
        return ['run record (the file has none)']
    return [f'{key}: {recorded.get(key)!r} there, {run.get(key)!r} now'
            for key in sorted(set(recorded) | set(run)) if recorded.get(key) != run.get(key)]


def write_pseudo_labels(out_file: str,
                        video_results: Callable[[str], Iterable[Tuple[PropagationTarget,
                                                                      List[PropagatedPose]]]],
                        vid_ids: Sequence[str],
                        categories: Optional[List[dict]] = None,
                        resume: bool = False,
                        overwrite: bool = False,
                        run: Optional[dict] = None) -> dict:
    """Propagate video by video with a resumable progress file; write ``out_file`` at the end.

    The progress file ``out_file + '.partial'`` starts with the ``run`` record; each
    finished video is appended to it (flushed and fsynced), so a killed run loses at most
    the video in progress. ``resume=True`` refuses a progress file whose record differs
    from ``run`` (another method, checkpoint or label rule would mix two runs' poses),
    else skips the videos found there; the progress file is then rewritten atomically
    without a torn last line (a kill during that rewrite leaves the old file). The final
    json is written atomically and the progress file removed: ``out_file`` is never
    half-written.

    Args:
        out_file (str): Pseudo-label json to write.
        video_results (callable): ``vid_id -> iterable of (target, poses)``.
        vid_ids (Sequence[str]): Videos to propagate, in order.
        categories (list[dict], optional): ``categories`` of the output json.
        resume (bool): Continue an unfinished run from its progress file.
        overwrite (bool): Replace an existing ``out_file`` (and ignore a progress file).
        run (dict, optional): What produces this output (json-serialisable), e.g.
            ``dict(method=..., checkpoint=..., label_rule=...)``.

    Returns:
        dict: The written json.

    Raises:
        PropagationOutputExists: ``out_file`` exists and ``overwrite`` is False, or a
            progress file exists and neither ``resume`` nor ``overwrite`` is set.
        PropagationRunMismatch: ``resume`` and the progress file's run record differs.
    """
    progress_file = partial_path(out_file)
    run = json.loads(json.dumps(run)) if run is not None else {}  # as read back
    if osp.exists(out_file) and not overwrite:
        raise PropagationOutputExists(
            f'{out_file} exists: pass --overwrite to replace it (nothing was written)')
    done: Dict[str, dict] = {}
    if osp.exists(progress_file) and not overwrite:
        if not resume:
            raise PropagationOutputExists(
                f'{progress_file} holds an unfinished run: pass --resume to continue it or '
                '--overwrite to start again (nothing was written)')
        recorded, done = _read_progress(progress_file)
        differences = _mismatch(recorded, run)
        if differences:
            raise PropagationRunMismatch(
                f'{progress_file} was written by another run ({"; ".join(differences)}): '
                'resume with the same settings, or pass --overwrite to start again '
                '(nothing was written)')
    # A fresh record, or the finished videos without a torn tail, replaced atomically.
    atomic_write_bytes(_progress_bytes(run, done), progress_file)
    with open(progress_file, 'a') as progress:
        for vid_id in vid_ids:
            if vid_id in done:
                continue
            content = propagation_json(video_results(vid_id))
            entry = dict(vid_id=vid_id, images=content['images'],
                         annotations=content['annotations'])
            progress.write(json.dumps(entry) + '\n')
            progress.flush()
            os.fsync(progress.fileno())
            done[vid_id] = entry
    images, annotations = [], []
    for vid_id in vid_ids:
        images.extend(done[vid_id]['images'])
        for ann in done[vid_id]['annotations']:
            annotations.append(dict(ann, id=len(annotations)))
    content = dict(categories=categories or [], images=images, annotations=annotations)
    write_json(content, out_file)
    os.remove(progress_file)
    return content
