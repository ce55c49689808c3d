"""Safe checkpoints and start-of-run checks (the hook every stdpose_mm config runs)."""
import os
import os.path as osp
import re
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpose.registry import HOOKS

from stdpose_mm.utils.atomic_io import atomic_write_text, remove_stale_temp_files
from stdpose_mm.utils.checkpoint import encode_history_buffers

from ..fileio import ATOMIC_LOCAL_BACKEND
from ..run_checks import CheckpointFill, check_key_frames, refuse_incomplete, watch_next_load

# The pointer MMEngine's CheckpointHook writes into the work dir and resume reads.
LAST_CHECKPOINT = 'last_checkpoint'
_CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_\d+\.pth$')


def repair_last_checkpoint(work_dir: str, checkpoint_dirs: List[str]) -> Optional[str]:
    """Point ``last_checkpoint`` at the newest checkpoint when it names no file.

    MMEngine's ``CheckpointHook`` writes the pointer with a plain ``open(..., 'w')``, so a
    process killed in that instant leaves it empty or cut short, and ``--resume`` then
    fails on a path that does not exist. A pointer that names an existing file, or no
    pointer at all, is left alone.

    Args:
        work_dir (str): The run's work dir (where the pointer lives).
        checkpoint_dirs (list[str]): Folders that hold ``epoch_N.pth`` / ``iter_N.pth``.

    Returns:
        str | None: The checkpoint the pointer now names, or None when nothing changed.
    """
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(pointer):
        return None
    with open(pointer, encoding='utf-8', errors='replace') as f:
        named = f.read().strip()
    if named and osp.isfile(named):
        return None
    candidates = [osp.join(folder, name) for folder in checkpoint_dirs if osp.isdir(folder)
                  for name in os.listdir(folder) if _CHECKPOINT_NAME.match(name)]
    if not candidates:
        return None
    newest = max(candidates, key=lambda path: (os.stat(path).st_mtime_ns, path))
    atomic_write_text(newest, pointer)
    return newest


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Checkpoints that load with ``weights_only=True``, and the checks of a run's start.

    It is on in every stdpose_mm config (``custom_hooks``) and does four things:

    * **Safe checkpoints.** MMEngine pickles ``HistoryBuffer`` through
      ``builtins.getattr``, which a safe (``weights_only``) load must refuse. Just before
      a checkpoint is written, every buffer becomes a dict of numpy arrays;
      :func:`stdpose_mm.utils.safe_load_checkpoint` restores them on resume.
    * **Stale temporary files.** When a run starts or resumes, the temporary files of
      atomic checkpoint writes killed mid-way (``.<name>.pth.<pid>.<hex>.tmp`` whose
      process is gone) are removed from the work dir and the checkpoint folder.
    * **A resumable pointer.** Checkpoints are written atomically by the ``'atomic_local'``
      backend the configs name (a warning says when ``CheckpointHook`` uses another);
      a ``last_checkpoint`` pointer left empty or cut short by a killed run is pointed at
      the newest checkpoint before MMEngine resumes from it
      (:func:`repair_last_checkpoint`).
    * **Key frames.** Before the first iteration, the train, val and test datasets must
      put the key frame where the model expects it (not found after a training epoch).
    * **Checkpoint fill.** What ``load_from`` fills is read from the model's own load
      (load pre-hooks included). Testing refuses a file that leaves model tensors at
      init (:class:`~stdpose_mm.engine.run_checks.CheckpointMismatchError`: how many
      tensors it fills, which are missing); training (``load_from``, resume) logs the
      same one-line summary and goes on.
    """

    priority = 'VERY_LOW'  # after any hook that adds to the checkpoint

    def __init__(self) -> None:
        self._load_watch = None

    def before_run(self, runner) -> None:
        """Remove stale temporary checkpoint files; check the datasets' key frames."""
        folders = {runner.work_dir}
        checkpoint_hook = next((hook for hook in runner.hooks
                                if type(hook).__name__ == 'CheckpointHook'), None)
        out_dir: Optional[str] = getattr(checkpoint_hook, 'out_dir', None)
        if out_dir and osp.isdir(out_dir):
            folders.add(out_dir)
            # CheckpointHook writes into out_dir/<work dir name> when out_dir is set.
            folders.add(osp.join(out_dir, osp.basename(osp.normpath(runner.work_dir))))
        for folder in sorted(folders):
            for path in remove_stale_temp_files(folder):
                runner.logger.info(f'removed stale temporary file {path} (left by a killed '
                                   'checkpoint write)')
        repaired = repair_last_checkpoint(runner.work_dir, sorted(folders))
        if repaired:
            runner.logger.warning(f'{osp.join(runner.work_dir, LAST_CHECKPOINT)} named no '
                                  f'checkpoint (a run killed while writing it); it now names '
                                  f'the newest one, {repaired}')
        backend_args = getattr(checkpoint_hook, 'backend_args', None) or {}
        if checkpoint_hook is not None and backend_args.get('backend') != ATOMIC_LOCAL_BACKEND:
            runner.logger.warning(
                'CheckpointHook does not use the atomic file backend: a run killed while '
                'saving can leave a truncated checkpoint. Set default_hooks.checkpoint.'
                f"backend_args = dict(backend='{ATOMIC_LOCAL_BACKEND}') (as "
                'configs/_base_/default_runtime.py does).')
        loops = (('train', runner._train_loop), ('val', runner._val_loop),
                 ('test', runner._test_loop))
        check_key_frames(self._model(runner),
                         [(name, loop.dataloader.dataset) for name, loop in loops
                          if isinstance(loop, BaseLoop) and hasattr(loop, 'dataloader')])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Watch the model load that follows: refuse (testing) or log (training) the fill."""
        training = isinstance(runner._train_loop, BaseLoop)
        filename = str(runner._load_from) if runner._load_from else 'the resumed checkpoint'

        def on_loaded(fill: CheckpointFill) -> None:
            if not training:
                refuse_incomplete(fill, 'testing')
            runner.logger.info(f'checkpoint {fill.summary()}')

        self._remove_watch()
        self._load_watch = watch_next_load(self._model(runner), checkpoint, filename,
                                           on_loaded)

    def before_train(self, runner) -> None:
        self._remove_watch()

    def before_val(self, runner) -> None:
        self._remove_watch()

    def before_test(self, runner) -> None:
        self._remove_watch()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        encode_history_buffers(checkpoint)

    def _remove_watch(self) -> None:
        if self._load_watch is not None:
            self._load_watch.remove()
            self._load_watch = None

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model
