"""NumPy reference kernels of Relay operators, one module per family of operators.

Every kernel is written from the operator's documented semantics (upstream
TVM 0.8 names and attributes) in plain NumPy; none calls TOPI, TensorIR or
the compiler. Importing this package registers all of them:

* :mod:`.registry`: the kernel registry and :func:`run_op`;
* :mod:`.common`: helpers shared by the kernels (attributes, dtypes, axes, padding);
* :mod:`.layout`: layout strings (``NCHW``, ``NCHW8c``...) and conversions;
* :mod:`.elementwise`, :mod:`.reduce`, :mod:`.transform`, :mod:`.index`,
  :mod:`.nn`, :mod:`.pool`, :mod:`.image`, :mod:`.vision`: the kernels.
"""
from . import elementwise, image, index, nn, pool, reduce, transform, vision  # registers them
from .registry import get_kernel, list_kernels, register_kernel, run_op

__all__ = ["get_kernel", "list_kernels", "register_kernel", "run_op"]
