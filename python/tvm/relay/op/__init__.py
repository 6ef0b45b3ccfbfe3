"""Relay operators: the registry and the op library.

Every op of the library is declared with a type relation (``"FInferType"``,
interface in :mod:`.type_relations`), a fusion pattern (``"TOpPattern"``) and,
when the base's TOPI (or this package) has one, a compute (``"FTVMCompute"``).

Compute convention: ``fcompute(attrs, inputs, out_type) -> [te.Tensor]`` where

* ``inputs`` holds one TE tensor per tensor argument, the fields of a tuple
  argument flattened in order (``concatenate``, ``stack``, ``einsum``);
* ``out_type`` is the call's inferred type (a ``TupleType`` for multi-output
  ops such as ``split``, ``nn.batch_norm``, ``topk``);
* the result has one tensor per output field.

:func:`compute_of_call` applies an op's compute to placeholders made from a
type-checked call (``relay.Any()`` dimensions become ``te.var`` sizes).
"""
from .op import (
    Op,
    OpPattern,
    get,
    list_op_names,
    register,
    register_alter_op_layout,
    register_compute,
    register_gradient,
    register_op,
    register_pattern,
    register_stateful,
    register_strategy,
    register_type_rel,
)
from ._util import compute_of_call, te_placeholders
from .pass_hooks import (
    register_fake_quantization_to_integer,
    register_legalize,
    register_mixed_precision_conversion,
)

# 0.8's module paths: relay.op.add, relay.op.concatenate, relay.op.sum, ...
from .tensor import *  # noqa: F401,F403,E402
from .transform import *  # noqa: F401,F403,E402
from .reduce import *  # noqa: F401,F403,E402
from .algorithm import *  # noqa: F401,F403,E402
from . import nn, image, vision, annotation  # noqa: E402
from . import dyn  # noqa: E402  (0.8's dynamic operators, relay.op.dyn)
from .dyn import argwhere  # noqa: E402  (0.8's relay.op.argwhere)
from ._device_copy import device_copy  # noqa: E402  (0.8's relay.op.device_copy)
from . import contrib  # noqa: E402  (0.8's relay.op.contrib: BYOC annotation rules, pattern tables)
from .strategy.strategy import OpImplementation, OpStrategy  # noqa: E402  (0.8's relay.op.OpStrategy)
from ._debug import debug  # noqa: E402  (0.8's relay.op.debug)
from ..expr import const  # noqa: E402  (0.8's relay.op.const)
