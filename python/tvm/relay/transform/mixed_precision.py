"""ToMixedPrecision: run as much of a float32 graph as possible in a lower
precision (0.8's ``relay.transform.ToMixedPrecision`` and its
``relay.transform.mixed_precision`` defaults).

Contract (upstream 0.8)
-----------------------
Each op has a conversion category, given by the function registered as its
``"FTVMMixedPrecisionConversionType"``
(:func:`tvm.relay.op.register_mixed_precision_conversion`):
``f(call, mixed_precision_type) -> [category, accumulation_dtype, output_dtype]``.

* ``MIXED_PRECISION_ALWAYS`` (0): floating-point arguments are cast to the
  mixed type; an ``out_dtype`` attribute (convolutions, dense, batch_matmul)
  or the ``dtype`` of a creation op (``zeros``, ``full``...) becomes the
  accumulation dtype, and the result is cast to the output dtype when the two
  differ;
* ``MIXED_PRECISION_FOLLOW`` (1): done in the mixed type when every
  floating-point argument already is (variables and constants count as
  convertible), else done in float32;
* ``MIXED_PRECISION_NEVER`` (2): arguments cast back to float32.

An op without a registered function is ``FOLLOW``; ``missing_op_mode`` says
what happens then: 0 raises, 1 warns (once per op name, with its count), 2 is
silent. Casts are cached per (expression, dtype), and casting a cast back
gives the original expression, so a value is never converted twice. Calls of
local functions keep float32 arguments (their signatures stay); function
return types are recomputed; variables bound by ``let`` take the type of
their new value. Non-float tensors are never cast.

Importing this module registers the default lists (modelled on TensorFlow's
auto-mixed-precision lists, as 0.8's were): convolutions, dense and
batch_matmul always; shape, copy, simple arithmetic, activations and pooling
follow; ``exp``, ``power``, softmax, ``erf``, ``arange`` and large summations
(``sum``, ``mean``, average pools) never. A user registration with a higher
``level`` replaces a default.
"""
import logging
from typing import List

from ..expr import Call, Constant, Let, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op, _REGISTRY
from ..op.pass_hooks import register_mixed_precision_conversion
from ..ty import TensorType, TupleType
from ._utils import children, ensure_typed
from .pass_infra import Pass, PassInfo

logger = logging.getLogger("relay")

MIXED_PRECISION_ALWAYS = 0
MIXED_PRECISION_FOLLOW = 1
MIXED_PRECISION_NEVER = 2

DEFAULT_ALWAYS_LIST = [
    "nn.conv1d", "nn.conv2d", "nn.conv3d",
    "nn.conv1d_transpose", "nn.conv2d_transpose", "nn.conv3d_transpose",
    "nn.dense", "nn.batch_matmul",
]
DEFAULT_FOLLOW_LIST = [
    # data movement and creation
    "nn.pad", "nn.batch_flatten", "concatenate", "zeros", "split", "squeeze", "transpose",
    "expand_dims", "reshape", "dyn.reshape", "broadcast_to_like", "dyn.broadcast_to",
    "strided_slice", "dyn.strided_slice", "take", "argwhere", "where", "tile", "dyn.tile",
    "scatter", "full", "dyn.full",
    # comparisons
    "less", "greater", "less_equal", "greater_equal",
    # the output dtype follows the input by definition
    "copy", "cast", "cast_like",
    # simple arithmetic
    "add", "subtract", "multiply", "divide", "nn.bias_add", "nn.batch_norm", "sqrt", "shape_of",
    # simple activations
    "max", "min", "maximum", "minimum", "nn.relu", "nn.leaky_relu", "nn.prelu", "nn.dropout",
    # saturating activations
    "sigmoid", "tanh",
    # pooling
    "nn.max_pool1d", "nn.max_pool2d", "nn.max_pool3d",
    "nn.avg_pool1d", "nn.avg_pool2d", "nn.avg_pool3d",
    "nn.global_max_pool2d",
    "nn.adaptive_max_pool1d", "nn.adaptive_max_pool2d", "nn.adaptive_max_pool3d",
]
DEFAULT_NEVER_LIST = [
    # |f(x)| >> |x| for usual inputs
    "exp", "power", "nn.cross_entropy", "nn.cross_entropy_with_logits", "nn.softmax",
    "nn.l2_normalize",
    # no float16 erf in LLVM's math library
    "erf",
    # arange's bounds may not be representable in float16
    "arange",
    # large summations
    "nn.global_avg_pool2d", "nn.adaptive_avg_pool1d", "nn.adaptive_avg_pool2d",
    "nn.adaptive_avg_pool3d", "sum", "mean",
]


def register_func_to_op_list(list_ops: List):
    """A decorator registering a function as the conversion type of every
    op of ``list_ops`` (ops this build does not have are skipped)."""

    def decorator(func):
        for op_name in list_ops:
            if op_name in _REGISTRY:
                register_mixed_precision_conversion(op_name, func=func)
        return func

    return decorator


def get_generic_out_dtypes(call_node, mixed_precision_type: str) -> List[str]:
    """``[accumulation_dtype, output_dtype]`` for most ops: both the mixed
    type (0.8 chose this for ops with an ``out_dtype`` too)."""
    del call_node
    return [mixed_precision_type, mixed_precision_type]


@register_func_to_op_list(list_ops=DEFAULT_ALWAYS_LIST)
def generic_always_op(call_node, mixed_precision_type: str) -> List:
    """The default of the always-converted ops."""
    return [MIXED_PRECISION_ALWAYS] + get_generic_out_dtypes(call_node, mixed_precision_type)


@register_func_to_op_list(list_ops=DEFAULT_FOLLOW_LIST)
def generic_follow_op(call_node, mixed_precision_type: str) -> List:
    """The default of the ops following their inputs."""
    return [MIXED_PRECISION_FOLLOW] + get_generic_out_dtypes(call_node, mixed_precision_type)


@register_func_to_op_list(list_ops=DEFAULT_NEVER_LIST)
def generic_never_op(call_node, mixed_precision_type: str) -> List:
    """The default of the never-converted ops."""
    return [MIXED_PRECISION_NEVER] + get_generic_out_dtypes(call_node, mixed_precision_type)


# Attribute classes whose ``out_dtype`` is the accumulation dtype (0.8's list).
_OUT_DTYPE_ATTRS = {
    "relay.attrs." + name for name in (
        "Conv1DAttrs", "Conv1DTransposeAttrs", "Conv2DAttrs", "Conv2DTransposeAttrs",
        "Conv2DWinogradAttrs", "Conv2DWinogradNNPACKWeightTransformAttrs",
        "DeformableConv2DAttrs", "Conv3DAttrs", "Conv3DTransposeAttrs", "Conv3DWinogradAttrs",
        "DenseAttrs", "BatchMatmulAttrs",
    )
}


def _is_float(dtype):
    return str(dtype).startswith("float")


def _typed(expr):
    """``expr`` with its ``checked_type`` computed from its (typed) children
    only: one node at a time, not the whole graph again."""
    if expr._checked_type_ is not None:
        return expr
    from .type_infer import _Inferencer  # pylint: disable=import-outside-toplevel

    inferencer = _Inferencer()
    for child in children(expr):
        if isinstance(child, Op):
            continue
        if not isinstance(child, Function) and child._checked_type_ is None:
            _typed(child)
        if child._checked_type_ is not None:
            inferencer.memo[id(child)] = (child, child._checked_type_)
    inferencer.visit(expr)
    inferencer.annotate()
    return expr


class _MixedPrecisionConverter(ExprMutator):
    def __init__(self, mixed_precision_type):
        super().__init__()
        if not (_is_float(mixed_precision_type) or mixed_precision_type == "bfloat16"):
            raise ValueError(
                "ToMixedPrecision supports IEEE float types and bfloat16, "
                f"got {mixed_precision_type!r}"
            )
        self.mp_type = mixed_precision_type
        self.cast_cache = {}
        self.missing_ops = {}
        self.var_map = {}

    # -- casts -----------------------------------------------------------
    def _cached_cast(self, expr, expr_dtype, wanted):
        if not _is_float(expr_dtype) and expr_dtype != "bfloat16":
            return expr
        if expr_dtype == wanted:
            return expr
        found = self.cast_cache.get((id(expr), wanted))
        if found is not None:
            return found[1]
        from ..op.transform import cast  # pylint: disable=import-outside-toplevel

        result = _typed(cast(expr, wanted))
        self.cast_cache[(id(expr), wanted)] = (expr, result)
        self.cast_cache[(id(result), expr_dtype)] = (result, expr)  # casting back is free
        return result

    def _cast_arg(self, expr, ty, wanted):
        if isinstance(ty, TensorType):
            return self._cached_cast(expr, ty.dtype, wanted)
        if isinstance(ty, TupleType):
            fields = []
            for i, field_ty in enumerate(ty.fields):
                field = expr.fields[i] if isinstance(expr, Tuple) else _typed(TupleGetItem(expr, i))
                fields.append(self._cast_arg(field, field_ty, wanted))
            if isinstance(expr, Tuple) and all(a is b for a, b in zip(fields, expr.fields)):
                return expr
            if not isinstance(expr, Tuple) and all(
                    isinstance(f, TupleGetItem) and f.tuple_value is expr for f in fields):
                return expr
            return _typed(Tuple(fields))
        raise TypeError(f"ToMixedPrecision cannot cast a value of type {ty}")

    def _is_mixed(self, ty):
        if isinstance(ty, TensorType):
            return _is_float(ty.dtype) and ty.dtype == self.mp_type
        if isinstance(ty, TupleType):
            return all(self._is_mixed(f) for f in ty.fields)
        raise TypeError(f"ToMixedPrecision cannot handle a value of type {ty}")

    # -- categories ------------------------------------------------------
    def _category(self, call):
        if isinstance(call.op, Op):
            describe = call.op.get_attr("FTVMMixedPrecisionConversionType")
            if describe is None:
                self.missing_ops[call.op.name] = self.missing_ops.get(call.op.name, 0) + 1
                return MIXED_PRECISION_FOLLOW, self.mp_type, self.mp_type
            result = list(describe(call, self.mp_type))
            if len(result) != 3:
                raise ValueError(
                    f"FTVMMixedPrecisionConversionType of {call.op.name} returned {len(result)} "
                    "values; expected [category, accumulation_dtype, output_dtype]"
                )
            return int(result[0]), str(result[1]), str(result[2])
        # Calls of functions (local or global) keep their signatures.
        return MIXED_PRECISION_NEVER, "float32", "float32"

    def _new_attrs(self, call, accumulation):
        attrs = call.attrs
        if attrs is None:
            return attrs
        if attrs.type_key in _OUT_DTYPE_ATTRS and "out_dtype" in attrs:
            current = attrs.get("out_dtype") or ""
            if current == "" or _is_float(current):
                return attrs.with_fields(out_dtype=accumulation)
        elif attrs.type_key.endswith("InitOpAttrs") and "dtype" in attrs:
            current = attrs.get("dtype") or ""
            if current == "" or _is_float(current):
                return attrs.with_fields(dtype=accumulation)
        return attrs

    # -- visiting --------------------------------------------------------
    def visit_call(self, call):
        category, accumulation, output = self._category(call)
        new_op = self.visit(call.op)
        new_args = [_typed(self.visit(arg)) for arg in call.args]
        arg_types = [arg.checked_type for arg in new_args]
        if category == MIXED_PRECISION_FOLLOW:
            convertible = all(
                self._is_mixed(ty) or isinstance(arg, Var | Constant)
                for arg, ty in zip(new_args, arg_types)
            )
            category = MIXED_PRECISION_ALWAYS if convertible else MIXED_PRECISION_NEVER
        wanted = self.mp_type if category == MIXED_PRECISION_ALWAYS else "float32"
        new_args = [self._cast_arg(arg, ty, wanted) for arg, ty in zip(new_args, arg_types)]
        if category == MIXED_PRECISION_ALWAYS:
            out = _typed(Call(new_op, new_args, self._new_attrs(call, accumulation),
                              None, call.span))
            if accumulation != output:
                out = self._cast_arg(out, out.checked_type, output)
            return out
        return _typed(Call(new_op, new_args, call.attrs, None, call.span))

    def visit_var(self, var):
        return self.var_map.get(var, var)

    def visit_function(self, fn):
        new_params = [self.visit(p) for p in fn.params]
        new_body = self.visit(fn.body)
        # The return type is recomputed: the body's dtype may have changed.
        return Function(new_params, new_body, None, fn.type_params, fn.attrs)

    def visit_let(self, let):
        value = _typed(self.visit(let.value))
        new_var = Var(let.var.name_hint, value.checked_type)
        new_var._checked_type_ = value.checked_type
        self.var_map[let.var] = new_var
        body = self.visit(let.body)
        return Let(new_var, value, body)

    def visit_global_var(self, gvar):
        return gvar


def to_mixed_precision(expr, mixed_precision_type="float16", missing_op_mode=1):
    """``expr`` (typed) converted as :func:`ToMixedPrecision` describes."""
    if missing_op_mode not in (0, 1, 2):
        raise ValueError(f"missing_op_mode must be 0, 1 or 2, got {missing_op_mode}")
    converter = _MixedPrecisionConverter(str(mixed_precision_type))
    result = converter.visit(expr)
    if missing_op_mode != 2:
        for name, count in sorted(converter.missing_ops.items()):
            logger.warning('Op "%s" not registered FTVMMixedPrecisionConversionType appears %d '
                           "times in graph.", name, count)
    if converter.missing_ops and missing_op_mode == 0:
        raise ValueError("ToMixedPrecision: ops without a mixed precision conversion type: "
                         + ", ".join(sorted(converter.missing_ops)))
    return result


def _with_output_dtype(func, orig_type):
    """``func`` whose result is cast back to the dtypes of ``orig_type``."""
    converter = _MixedPrecisionConverter("float16")
    body = _typed(func.body)

    def cast_back(expr, ty):
        if isinstance(ty, TensorType):
            return converter._cached_cast(_typed(expr), expr.checked_type.dtype, ty.dtype)
        if isinstance(ty, TupleType):
            fields = [cast_back(expr.fields[i] if isinstance(expr, Tuple)
                                else _typed(TupleGetItem(expr, i)), field_ty)
                      for i, field_ty in enumerate(ty.fields)]
            return Tuple(fields)
        return expr

    return Function(func.params, cast_back(body, orig_type), None, func.type_params, func.attrs)


def ToMixedPrecision(mixed_precision_type="float16", missing_op_mode=1):  # pylint: disable=invalid-name
    """Convert a float32 graph to use ``mixed_precision_type`` where the ops allow it.

    Parameters
    ----------
    mixed_precision_type : str
        The lower precision (``"float16"``; any float type or ``"bfloat16"``).
    missing_op_mode : int
        For ops without a registered conversion type: 0 raise, 1 warn, 2 ignore.

    Returns
    -------
    Pass
        ``opt_level`` 0. The result is type-checked again (function return
        types change with the dtypes). With the PassContext option
        ``"relay.ToMixedPrecision.keep_orig_output_dtype": True`` (TVM 0.9's
        option, read through :func:`tvmfork.compat.pass_context_option`) each
        function's result is cast back to its original dtype.
    """
    if missing_op_mode < 0 or missing_op_mode > 2:
        raise ValueError(f"missing_op_mode must be 0, 1 or 2, got {missing_op_mode}")

    def transform(mod, _ctx):
        from tvmfork.compat import pass_context_option  # pylint: disable=import-outside-toplevel

        keep_output_dtype = bool(
            pass_context_option("relay.ToMixedPrecision.keep_orig_output_dtype", False))
        mod = ensure_typed(mod)
        new_mod = mod.copy()
        for gvar, func in mod.functions_items():
            if isinstance(func, Function) and not func.is_primitive:
                new_func = to_mixed_precision(func, mixed_precision_type, missing_op_mode)
                if keep_output_dtype:
                    new_func = _with_output_dtype(new_func, func.body.checked_type)
                new_mod[gvar] = new_func
        from .type_infer import InferType  # pylint: disable=import-outside-toplevel

        return InferType()(new_mod)

    return Pass(PassInfo(0, "ToMixedPrecision", []), transform)


__all__ = [
    "ToMixedPrecision",
    "to_mixed_precision",
    "register_func_to_op_list",
    "get_generic_out_dtypes",
    "MIXED_PRECISION_ALWAYS",
    "MIXED_PRECISION_FOLLOW",
    "MIXED_PRECISION_NEVER",
    "DEFAULT_ALWAYS_LIST",
    "DEFAULT_FOLLOW_LIST",
    "DEFAULT_NEVER_LIST",
]
