"""Relay: the high-level IR of the fork, its passes and its compiler.

Nodes are Python objects (see :mod:`tvm.relay.expr` for why); the op library
registers type relations, fusion patterns and TOPI computes; ``relay.build``
lowers fused functions through the compile engine to the base's TensorIR and
LLVM code generator.
"""
import sys as _sys

from . import ty, expr, function, module, attrs, structural, analysis, op
from .ty import (
    Any,
    FuncType,
    IncompleteType,
    TensorType,
    TupleType,
    Type,
    TypeVar,
    scalar_type,
)
from .attrs import Attrs, DictAttrs
from .expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RelayExpr,
    Tuple,
    TupleGetItem,
    TupleWrapper,
    Var,
    bind,
    const,
    var,
)
from .function import Function
from .module import IRModule
from .expr_functor import ExprFunctor, ExprMutator, ExprVisitor
from .structural import structural_equal, structural_hash, assert_structural_equal
from .op import Op
from .op.tensor import *  # noqa: F401,F403  (relay.add, relay.exp, ...)
from .op.transform import *  # noqa: F401,F403  (relay.reshape, relay.cast, ...)
from .op.reduce import *  # noqa: F401,F403  (relay.sum, relay.mean, ...)
from .op import nn, image, vision
from . import transform
from . import dataflow_pattern
from . import backend
from . import qnn
from . import frontend
from . import data_dep_optimization
from .build_module import build, optimize, create_executor, bind_params_by_name
from .param_dict import save_param_dict, load_param_dict

Expr = RelayExpr

# Python 3.11+ keeps pure-Python recursion off the C stack, so the recursive
# visitors only need a limit large enough for the deepest networks (a
# ResNet-152 body is a chain of ~1000 calls, each a few frames deep).
if _sys.getrecursionlimit() < 20000:
    _sys.setrecursionlimit(20000)

from tvm.parser import fromtext  # noqa: E402  (0.8's relay.fromtext)
from tvm.ir import Span, SourceName  # noqa: E402  (0.8's relay.Span)
from . import base  # noqa: E402  (0.8's relay.base)
from tvm.ir.transform import PassContext as build_config  # noqa: E402  (0.8's deprecated alias)
from .scope_builder import ScopeBuilder  # noqa: E402
from .references import RefCreate, RefRead, RefWrite  # noqa: E402
from .ty import GlobalTypeVar, RefType, ShapeVar, TypeCall, TypeConstraint, TypeKind  # noqa: E402
from .ty import TypeRelation, TypeFunctor, TypeVisitor, TypeMutator  # noqa: E402
from . import adt, prelude, loops  # noqa: E402
from .adt import (  # noqa: E402
    Clause, Constructor, Match, Pattern, PatternConstructor, PatternTuple, PatternVar,
    PatternWildcard, TypeData,
)
from .op import annotation  # noqa: E402
from .op._device_copy import device_copy  # noqa: E402  (0.8's relay.device_copy)
from .op.dyn import argwhere  # noqa: E402  (0.8's relay.argwhere)
from . import quantize  # noqa: E402  (0.8's relay.quantize)
from . import vm  # noqa: E402  (0.8's relay.vm: the Relay virtual machine)
