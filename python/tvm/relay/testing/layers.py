"""Layer helpers for the reference networks: an op plus its named parameters.

Each helper takes the layer's ``name`` and creates the parameter variables it
was not given, named ``<name>_weight``, ``<name>_bias``, ``<name>_gamma``,
``<name>_beta``, ``<name>_moving_mean`` and ``<name>_moving_var``. Variables
are created without a type: type inference derives their shapes from the
operator, and :func:`~tvm.relay.testing.init.create_workload` then
initialises them by name.
"""
from .. import expr as _expr
from ..op import nn as _nn


def _take_name(kwargs, helper):
    name = kwargs.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"layers.{helper} needs a layer name: pass name='...'")
    return name


def _param(given, name):
    return given if given is not None else _expr.var(name)


def batch_norm_infer(data, gamma=None, beta=None, moving_mean=None, moving_var=None, **kwargs):
    """Batch normalisation in inference form: the normalised output only.

    Parameters
    ----------
    data : relay.Expr
        The input.
    gamma, beta, moving_mean, moving_var : relay.Expr, optional
        Scale, offset, running mean and running variance; new variables named
        ``<name>_gamma`` etc. when not given (``gamma`` is created even with
        ``scale=False``, as upstream, so parameter lists match).
    kwargs : dict
        ``name`` (required) and the attributes of ``relay.nn.batch_norm``
        (``axis``, ``epsilon``, ``center``, ``scale``).

    Returns
    -------
    result : relay.Expr
        Output 0 of ``relay.nn.batch_norm``.
    """
    name = _take_name(kwargs, "batch_norm_infer")
    gamma = _param(gamma, name + "_gamma")
    beta = _param(beta, name + "_beta")
    moving_mean = _param(moving_mean, name + "_moving_mean")
    moving_var = _param(moving_var, name + "_moving_var")
    return _nn.batch_norm(
        data, gamma=gamma, beta=beta, moving_mean=moving_mean, moving_var=moving_var, **kwargs
    )[0]


def conv2d(data, weight=None, **kwargs):
    """``relay.nn.conv2d`` with a ``<name>_weight`` variable when ``weight`` is not given.

    Parameters
    ----------
    data : relay.Expr
        The input.
    weight : relay.Expr, optional
        The kernel.
    kwargs : dict
        ``name`` (required) and the attributes of ``relay.nn.conv2d``.

    Returns
    -------
    result : relay.Expr
    """
    name = _take_name(kwargs, "conv2d")
    return _nn.conv2d(data, _param(weight, name + "_weight"), **kwargs)


def conv3d(data, weight=None, **kwargs):
    """``relay.nn.conv3d`` with a ``<name>_weight`` variable when ``weight`` is not given.

    Parameters
    ----------
    data : relay.Expr
        The input.
    weight : relay.Expr, optional
        The kernel.
    kwargs : dict
        ``name`` (required) and the attributes of ``relay.nn.conv3d``.

    Returns
    -------
    result : relay.Expr
    """
    name = _take_name(kwargs, "conv3d")
    return _nn.conv3d(data, _param(weight, name + "_weight"), **kwargs)


def conv2d_transpose(data, weight=None, **kwargs):
    """``relay.nn.conv2d_transpose`` with a ``<name>_weight`` variable when ``weight`` is not given.

    Parameters
    ----------
    data : relay.Expr
        The input.
    weight : relay.Expr, optional
        The kernel.
    kwargs : dict
        ``name`` (required) and the attributes of ``relay.nn.conv2d_transpose``.

    Returns
    -------
    result : relay.Expr
    """
    name = _take_name(kwargs, "conv2d_transpose")
    return _nn.conv2d_transpose(data, _param(weight, name + "_weight"), **kwargs)


def dense_add_bias(data, weight=None, bias=None, units=None, **kwargs):
    """A fully connected layer: ``relay.nn.dense`` then ``relay.nn.bias_add`` on the last axis.

    Parameters
    ----------
    data : relay.Expr
        The input, ``(batch, in_features)``.
    weight : relay.Expr, optional
        ``(units, in_features)``; a ``<name>_weight`` variable when not given.
    bias : relay.Expr, optional
        ``(units,)``; a ``<name>_bias`` variable when not given.
    units : int, optional
        The number of outputs.
    kwargs : dict
        ``name`` (required) and further attributes of ``relay.nn.dense``.

    Returns
    -------
    result : relay.Expr
    """
    name = _take_name(kwargs, "dense_add_bias")
    out = _nn.dense(data, _param(weight, name + "_weight"), units, **kwargs)
    return _nn.bias_add(out, _param(bias, name + "_bias"), axis=-1)


def conv_kernel_layout(data_layout, is_depthwise=False):
    """The kernel layout the reference networks pair with a data layout.

    Parameters
    ----------
    data_layout : str
        ``"NCHW"`` or ``"NHWC"``.
    is_depthwise : bool, optional
        Whether the convolution is depthwise.

    Returns
    -------
    result : str
        ``"OIHW"`` for NCHW; ``"HWIO"`` for NHWC, ``"HWOI"`` for a depthwise
        NHWC convolution.
    """
    table = {"NCHW": "OIHW", "NHWC": "HWOI" if is_depthwise else "HWIO"}
    if data_layout not in table:
        raise ValueError(
            f"conv_kernel_layout: unknown data layout {data_layout!r}; use 'NCHW' or 'NHWC'"
        )
    return table[data_layout]
