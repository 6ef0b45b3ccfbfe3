"""tvm.topi.testing gets 0.8's NumPy references that fail on NumPy 2 in the base
(np.reshape(newshape=...)) or that the base lacks; checked element by element
against their definitions."""
import numpy as np
import pytest

import tvm.topi.testing as topi_testing
from tvm.topi import testing_v08

RNG = np.random.default_rng(3)


def test_the_package_holds_the_fork_references():
    for name in testing_v08.REPLACED + testing_v08.ADDED:
        assert getattr(topi_testing, name) is getattr(testing_v08, name)
    # the base's submodule is patched too, for `from ...depth_to_space import ...`
    from tvm.topi.testing import depth_to_space as submodule  # pylint: disable=import-outside-toplevel

    assert submodule.depth_to_space_python is testing_v08.depth_to_space_python


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_inverse(mode):
    data = RNG.standard_normal((2, 12, 3, 5)).astype("float32")
    b = 2
    out = topi_testing.depth_to_space_python(data, b, mode)
    assert out.shape == (2, 3, 6, 10)
    for n, c, y, x in [(0, 0, 0, 0), (1, 2, 5, 9), (1, 1, 3, 4), (0, 2, 4, 7)]:
        dy, dx = y % b, x % b
        channel = (dy * b + dx) * 3 + c if mode == "DCR" else c * b * b + dy * b + dx
        assert out[n, c, y, x] == data[n, channel, y // b, x // b]
    if mode == "DCR":
        np.testing.assert_array_equal(topi_testing.space_to_depth_python(out, b), data)


def test_space_to_batch_and_batch_to_space():
    data = RNG.standard_normal((2, 3, 4, 2)).astype("float32")
    out = topi_testing.space_to_batch_nd_python(data, [2, 3], [1, 0], [0, 2], pad_value=0)
    padded = np.pad(data, [(0, 0), (1, 0), (0, 2), (0, 0)])
    assert out.shape == (12, 2, 2, 2)
    for by in range(2):
        for bx in range(3):
            block = out[(by * 3 + bx) * 2:(by * 3 + bx + 1) * 2]
            np.testing.assert_array_equal(block, padded[:, by::2, bx::3])
    back = topi_testing.batch_to_space_nd_python(out, [2, 3], [1, 0], [0, 2])
    np.testing.assert_array_equal(back, data)


def test_grid_sample_nchw_python():
    data = RNG.standard_normal((1, 2, 4, 5)).astype("float32")
    grid = np.zeros((1, 2, 1, 3), "float32")
    grid[0, :, 0, 0] = (-1.0, -1.0)  # the top-left pixel centre
    grid[0, :, 0, 1] = (0.0, 0.0)  # the image centre: (x, y) = (2, 1.5)
    grid[0, :, 0, 2] = (1.2, 0.0)  # right of the last column: half of its weight is outside
    out = topi_testing.grid_sample_nchw_python(data, grid)
    np.testing.assert_allclose(out[0, :, 0, 0], data[0, :, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(out[0, :, 0, 1], (data[0, :, 1, 2] + data[0, :, 2, 2]) / 2,
                               rtol=1e-6)
    # x = (1.2 + 1) * 4 / 2 = 4.4: 0.6 of column 4, 0.4 of column 5 (zeros)
    np.testing.assert_allclose(out[0, :, 0, 2], 0.6 * (data[0, :, 1, 4] + data[0, :, 2, 4]) / 2,
                               rtol=1e-5)
