"""``collapse_sum_to``, ``matrix_set_diag`` and ``strided_set`` (TVM 0.8 ops):
constructors, type relations and TOPI computes."""
from tvm import topi

from ..ty import TensorType
from ._util import as_expr, define, make_call
from .op import OpPattern
from .type_relations import RelationError, broadcast_shape, dims_equal, shape_str, tensor_arg

__all__ = ["collapse_sum_to", "matrix_set_diag", "strided_set"]


# -- collapse_sum_to ------------------------------------------------------------
def _collapse_sum_to_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    target = tuple(attrs.shape)
    out = broadcast_shape(data.shape, target)
    if out is None or len(out) != len(data.shape) or not all(dims_equal(a, b) for a, b in zip(out, data.shape)):
        raise RelationError(f"shape {shape_str(target)} does not broadcast to data {shape_str(data.shape)}")
    return TensorType(target, data.dtype)


define("collapse_sum_to", _collapse_sum_to_rel, OpPattern.COMM_REDUCE,
       lambda attrs, inputs, out: [topi.collapse_sum(inputs[0], list(attrs.shape))], 1,
       "relay.attrs.InitOpAttrs")


def collapse_sum_to(data, shape):
    """Sum ``data`` over the axes along which ``shape`` broadcasts to it.

    Parameters
    ----------
    data : relay.Expr
    shape : tuple of int
        The result's shape (it must broadcast to ``data``'s).
    """
    if hasattr(shape, "numpy"):
        shape = shape.numpy().tolist()
    return make_call("collapse_sum_to", [data], "relay.attrs.InitOpAttrs",
                     shape=tuple(int(s) for s in shape), dtype="")


# -- matrix_set_diag ----------------------------------------------------------------
def _matrix_set_diag_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    diagonal = tensor_arg(arg_types, 1, "diagonal")
    if len(data.shape) < 2:
        raise RelationError(f"data must have at least 2 dimensions, got {shape_str(data.shape)}")
    expected = len(data.shape) - (1 if attrs.k1 == attrs.k2 else 0)
    if len(diagonal.shape) != expected:
        raise RelationError(
            f"diagonal must have {expected} dimensions for k=({attrs.k1}, {attrs.k2}), "
            f"got {shape_str(diagonal.shape)}"
        )
    return TensorType(data.shape, data.dtype)


def _matrix_set_diag_compute(attrs, inputs, out_type):
    align = ("RIGHT" if attrs.super_diag_right_align else "LEFT") + "_" + (
        "RIGHT" if attrs.sub_diag_right_align else "LEFT")
    return [topi.matrix_set_diag(inputs[0], inputs[1], (attrs.k1, attrs.k2), align)]


define("matrix_set_diag", _matrix_set_diag_rel, OpPattern.INJECTIVE, _matrix_set_diag_compute, 2,
       "relay.attrs.MatrixSetDiagAttrs")

_ALIGNS = ("LEFT_RIGHT", "LEFT_LEFT", "RIGHT_LEFT", "RIGHT_RIGHT")


def matrix_set_diag(data, diagonal, k=0, align="RIGHT_LEFT"):
    """Replace diagonals of the innermost matrices of ``data`` (TensorFlow's
    ``matrix_set_diag``).

    Parameters
    ----------
    data : relay.Expr
        ``[..., M, N]``.
    diagonal : relay.Expr
        ``[..., L]`` for one diagonal, ``[..., k2 - k1 + 1, L]`` for a band.
    k : int or tuple of two ints
        The diagonal (0: main, > 0: above) or the band ``(k1, k2)``.
    align : str
        How shorter diagonals sit in ``diagonal``: ``"RIGHT_LEFT"`` (default:
        super-diagonals right-aligned, sub-diagonals left-aligned), ``"LEFT_RIGHT"``,
        ``"LEFT_LEFT"``, ``"RIGHT_RIGHT"``.
    """
    k1, k2 = (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))
    if k1 > k2:
        raise ValueError(f"matrix_set_diag: k=({k1}, {k2}) needs k1 <= k2")
    if align not in _ALIGNS:
        raise ValueError(f"matrix_set_diag: align must be one of {_ALIGNS}, got {align!r}")
    return make_call("matrix_set_diag", [data, diagonal], "relay.attrs.MatrixSetDiagAttrs",
                     k1=k1, k2=k2, super_diag_right_align=align.startswith("RIGHT"),
                     sub_diag_right_align=align.endswith("RIGHT"))


# -- strided_set ----------------------------------------------------------------------
def _strided_set_rel(arg_types, attrs):
    data = tensor_arg(arg_types, 0, "data")
    value = tensor_arg(arg_types, 1, "v")
    if value.dtype != data.dtype:
        raise RelationError(f"v has dtype {value.dtype} but data has {data.dtype}")
    for index, name in ((2, "begin"), (3, "end"), (4, "strides")):
        arg = tensor_arg(arg_types, index, name)
        if len(arg.shape) != 1 or "int" not in arg.dtype:
            raise RelationError(f"{name} must be a 1-d integer tensor, got {shape_str(arg.shape)} {arg.dtype}")
    return TensorType(data.shape, data.dtype)


def _strided_set_compute(attrs, inputs, out_type):
    # TOPI's strided_set reads its bounds as int32.
    bounds = [b if b.dtype == "int32" else topi.cast(b, "int32") for b in inputs[2:]]
    return [topi.strided_set(inputs[0], inputs[1], *bounds)]


define("strided_set", _strided_set_rel, OpPattern.INJECTIVE, _strided_set_compute, 5)


def strided_set(data, v, begin, end, strides=None):
    """``data`` with the strided slice ``[begin:end:strides]`` replaced by ``v``.

    ``begin``, ``end`` and ``strides`` are 1-d integer tensors or lists (one
    value per leading axis; ``strides`` defaults to ones).
    """
    begin = as_expr(begin, "int64") if not isinstance(begin, list | tuple) else as_expr(list(begin), "int64")
    end = as_expr(end, "int64") if not isinstance(end, list | tuple) else as_expr(list(end), "int64")
    if strides is None:
        from ..expr import const  # pylint: disable=import-outside-toplevel

        strides = const([1] * _length(begin), "int64")
    elif isinstance(strides, list | tuple):
        strides = as_expr(list(strides), "int64")
    return make_call("strided_set", [data, v, begin, end, strides])


def _length(expr):
    try:
        return int(expr.numpy().shape[0])
    except AttributeError:
        raise ValueError("strided_set: give strides when begin is not a constant") from None
