"""Dataset configs inside MMEngine dataset wrappers (pure Python: plain dicts in, dicts out)."""
from typing import Any, Iterator


def leaf_dataset_cfgs(dataset_cfg: Any) -> Iterator[dict]:
    """The dataset configs under any wrappers, in order.

    A wrapper holds one dataset (``RepeatDataset``, ``ClassBalancedDataset``:
    ``dataset=dict(...)``) or several (``ConcatDataset``: ``datasets=[...]``); a leaf is a
    config with neither.

    Args:
        dataset_cfg: A dataset config (dict or ``ConfigDict``); anything else yields nothing.

    Yields:
        dict: Each leaf dataset config.
    """
    if not isinstance(dataset_cfg, dict):
        return
    if 'dataset' in dataset_cfg:
        yield from leaf_dataset_cfgs(dataset_cfg['dataset'])
    elif 'datasets' in dataset_cfg:
        for sub in dataset_cfg['datasets']:
            yield from leaf_dataset_cfgs(sub)
    else:
        yield dataset_cfg


def unwrap_dataset_cfg(dataset_cfg: dict) -> dict:
    """The innermost dataset config under single-dataset wrappers (``dataset=dict(...)``).

    A ``ConcatDataset`` config (``datasets=[...]``) is returned as it is; use
    :func:`leaf_dataset_cfgs` for every dataset.
    """
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg
