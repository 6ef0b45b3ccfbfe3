"""0.8's ``relay.frontend.pytorch_utils``: the installed torch's version test.

0.8's module also held pattern rewrites for torchvision's Mask R-CNN
(``rewrite_nms_to_batched_nms`` and friends); they work on dynamic-shape
detection graphs, which the fork's PyTorch frontend does not import, so they are
not provided.
"""
import re

__all__ = ["is_version_greater_than"]


def _release(version):
    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(version))
    if match is None:
        raise ValueError(f"not a version number: {version!r}")
    return tuple(int(part or 0) for part in match.groups())


def is_version_greater_than(ver):
    """Whether the installed torch's release (major, minor, patch) is greater than ``ver``'s
    (local and pre-release suffixes such as ``+cpu`` are ignored)."""
    import torch  # pylint: disable=import-outside-toplevel

    return _release(torch.__version__) > _release(ver)
