"""Shape helper of 0.8's CUDA 3-d Winograd convolution (no CUDA schedule here)."""


def _infer_tile_size(data, kernel):  # pylint: disable=unused-argument
    """The Winograd output tile size 0.8 chose for ``data`` (``N, C, D, H, W``):
    4 when the height is a multiple of 8, else 2."""
    height = int(data.shape[3])
    return 4 if height % 8 == 0 else 2
