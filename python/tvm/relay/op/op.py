"""The operator registry.

Each Relay operator is one :class:`Op` object per name, carrying registry
attributes set by the op-library modules:

``"FInferType"``
    the type relation, see :mod:`tvm.relay.op.type_relations`;
``"TOpPattern"``
    its fusion pattern (:class:`OpPattern`), read by ``FuseOps``;
``"FTVMCompute"``
    ``fcompute(attrs, inputs, out_type) -> [te.Tensor]``, the TOPI compute;
``"FTVMStrategy"``
    the op strategy per target (:mod:`tvm.relay.op.strategy`), read by the
    compile engine.

Upstream's ``register_compute`` / ``register_strategy`` / ``register_pattern``
names and ``level`` semantics are kept: a later registration with a higher
level replaces an earlier one.
"""
import tvm.error

from ..expr import RelayExpr
from . import _support_level


class OpPattern:
    """Fusion pattern of an operator (upstream ``TOpPattern``)."""

    ELEMWISE = 0
    BROADCAST = 1
    INJECTIVE = 2
    COMM_REDUCE = 3
    OUT_ELEMWISE_FUSABLE = 4
    TUPLE = 7
    OPAQUE = 8


_REGISTRY = {}


class Op(RelayExpr):
    """A primitive operator (``relay.op.get("nn.conv2d")``)."""

    __slots__ = (
        "name",
        "description",
        "num_inputs",
        "attrs_type_key",
        "support_level",
        "arguments",
        "_attr_map",
    )

    _is_relay_op = True

    def __init__(self, name, num_inputs=-1, attrs_type_key="", description="", support_level=10):
        super().__init__()
        self.name = name
        self.num_inputs = num_inputs
        self.attrs_type_key = attrs_type_key
        self.description = description
        self.support_level = support_level
        self.arguments = ()
        self._attr_map = {}

    @staticmethod
    def get(op_name):
        """The registered operator called ``op_name``."""
        return get(op_name)

    def get_attr(self, attr_name):
        """A registry attribute (``None`` if not set)."""
        entry = self._attr_map.get(attr_name)
        return None if entry is None else entry[1]

    def has_attr(self, attr_name):
        return attr_name in self._attr_map

    def set_attr(self, attr_name, value, plevel=10):
        """Set a registry attribute unless one with a higher level is already set."""
        current = self._attr_map.get(attr_name)
        if current is not None and current[0] > plevel:
            return
        self._attr_map[attr_name] = (plevel, value)

    def reset_attr(self, attr_name):
        self._attr_map.pop(attr_name, None)

    def __reduce__(self):
        return (get, (self.name,))

    # 0.8's registration methods (``_op.get(name).set_num_inputs(1)`` ...) for
    # operators declared from Python.
    def set_num_inputs(self, n):
        """Set the number of inputs."""
        self.num_inputs = int(n)

    def add_argument(self, name, type_name, description):
        """Document an argument (name, type, description)."""
        self.arguments = self.arguments + ((name, type_name, description),)

    def set_support_level(self, level):
        """Set the support level (1: core ops)."""
        self.support_level = int(level)

    def set_attrs_type_key(self, key):
        """Set the type key of the attributes of its calls."""
        self.attrs_type_key = key

    def add_type_rel(self, rel_name, type_rel_func=None):
        """Set the type relation: ``type_rel_func(arg_types, attrs) -> type``,
        or without it one of the standard relations by name (``"Identity"``,
        ``"Broadcast"``, ``"BroadcastComp"``)."""
        if type_rel_func is None:
            from . import type_relations  # pylint: disable=import-outside-toplevel

            standard = {"Identity": type_relations.identity_rel,
                        "Broadcast": type_relations.broadcast_rel,
                        "BroadcastComp": type_relations.broadcast_bool_rel}
            if rel_name not in standard:
                raise ValueError(f"{self.name}: unknown standard type relation {rel_name!r}; "
                                 f"give a function or one of {sorted(standard)}")
            type_rel_func = standard[rel_name]
        self.set_attr("FInferType", type_rel_func)


def register_op(op_name, num_inputs=-1, attrs_type_key="", describe="", support_level=None):
    """Declare a new operator (idempotent: returns the existing one if declared).

    Without ``support_level`` the operator gets the level TVM 0.8 gave it
    (:mod:`._support_level`)."""
    op = _REGISTRY.get(op_name)
    if op is None:
        if support_level is None:
            support_level = _support_level.support_level(op_name)
        op = Op(op_name, num_inputs, attrs_type_key, describe, support_level)
        _REGISTRY[op_name] = op
    return op


def get(op_name):
    """The operator called ``op_name``; an unknown name raises ``OpNotImplemented``."""
    op = _REGISTRY.get(op_name)
    if op is None:
        raise tvm.error.OpNotImplemented(
            f"operator {op_name!r} is not registered in relay"
            + _suggestion(op_name)
        )
    return op


def _suggestion(op_name):
    import difflib  # pylint: disable=import-outside-toplevel

    close = difflib.get_close_matches(op_name, list(_REGISTRY), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def list_op_names():
    """Names of all registered operators."""
    return sorted(_REGISTRY)


def register(op_name, describe=""):
    """Upstream's ``relay.op.op.register``: get or declare an operator."""
    return register_op(op_name, describe=describe)


def register_compute(op_name, compute=None, level=10):
    """Register ``compute(attrs, inputs, out_type) -> [te.Tensor]`` for an operator."""

    def _register(func):
        get(op_name).set_attr("FTVMCompute", func, level)
        return func

    return _register(compute) if compute is not None else _register


def register_strategy(op_name, fstrategy=None, level=10):
    """Register the op strategy (a generic function over targets) for an operator."""

    def _register(func):
        get(op_name).set_attr("FTVMStrategy", func, level)
        return func

    return _register(fstrategy) if fstrategy is not None else _register


def register_pattern(op_name, pattern, level=10):
    """Register the fusion pattern (:class:`OpPattern`) of an operator."""
    get(op_name).set_attr("TOpPattern", pattern, level)


def register_alter_op_layout(op_name, alter_layout=None, level=10):
    """Register ``alter_layout(attrs, inputs, tinfos, out_type) -> expr or None``
    (0.8's ``FTVMAlterOpLayout``), the hook a layout-altering pass consults
    for the op's calls; usable as a decorator."""

    def _register(func):
        get(op_name).set_attr("FTVMAlterOpLayout", func, level)
        return func

    return _register(alter_layout) if alter_layout is not None else _register


def register_infer_correct_layout(op_name, infer_layout=None, level=10):
    """Register ``infer_layout(attrs, new_in_layouts, old_in_layouts, old_in_types)
    -> InferCorrectLayoutOutput`` (0.8's ``FInferCorrectLayout``): the layouts an
    op wants for its inputs and gives its outputs, consulted by ``ConvertLayout``
    before its own rules (see :mod:`tvm.relay.transform.infer_layout_utils`);
    usable as a decorator."""

    def _register(func):
        get(op_name).set_attr("FInferCorrectLayout", func, level)
        return func

    return _register(infer_layout) if infer_layout is not None else _register


def register_stateful(op_name, stateful, level=10):
    """Record whether an operator has side effects (``TOpIsStateful``)."""
    get(op_name).set_attr("TOpIsStateful", bool(stateful), level)


def register_type_rel(op_name, rel=None, level=10):
    """Register the type relation of an operator (see :mod:`.type_relations`)."""

    def _register(func):
        get(op_name).set_attr("FInferType", func, level)
        return func

    return _register(rel) if rel is not None else _register


def register_gradient(op_name, fgradient=None, level=10):
    """Register the gradient of an operator (0.8's ``FPrimalGradient``); usable as a decorator.

    ``fgradient(orig_call, output_grad) -> [expr]`` receives the type-checked call
    and the adjoint of its output (a tuple expression for an op returning a
    tuple) and returns one adjoint expression per argument of the call (a tuple
    expression for a tuple argument), in terms of Relay expressions;
    :func:`tvm.relay.transform.gradient` composes them. The op library's
    gradients are in :mod:`tvm.relay.op._tensor_grad`.
    """

    def _register(func):
        get(op_name).set_attr("FPrimalGradient", func, level)
        return func

    return _register(fgradient) if fgradient is not None else _register


# 0.8 defined the pass hooks' registration here too (relay.op.op.register_legalize ...).
from .pass_hooks import (  # noqa: E402  pylint: disable=wrong-import-position,cyclic-import
    register_fake_quantization_to_integer,
    register_legalize,
    register_mixed_precision_conversion,
)
