"""The Relay pattern language (TVM 0.8's ``tvm.relay.dataflow_pattern``).

Patterns describe dataflow subgraphs; :func:`match` tests an expression,
:func:`rewrite` replaces matches through :class:`DFPatternCallback` objects,
:func:`partition` wraps matches into functions (what
``relay.transform.MergeComposite`` builds composite functions with).

The nodes are Python objects (see :mod:`.pattern`), matched by a Python
matcher (:mod:`.matcher`) with 0.8's semantics: commutative ``add`` /
``multiply``, re-associated ``multiply`` / ``divide``, attribute, type and
dominator patterns; :mod:`.rewriter` holds the grouping of matches, rewriting
and partitioning.
"""
from .pattern import (
    DFPattern,
    ExprPattern,
    VarPattern,
    ConstantPattern,
    WildcardPattern,
    CallPattern,
    FunctionPattern,
    IfPattern,
    LetPattern,
    TuplePattern,
    TupleGetItemPattern,
    AltPattern,
    TypePattern,
    DataTypePattern,
    ShapePattern,
    AttrPattern,
    DominatorPattern,
    is_var,
    is_constant,
    is_expr,
    is_op,
    is_tuple,
    is_tuple_get_item,
    is_if,
    is_let,
    wildcard,
    has_type,
    has_dtype,
    has_shape,
    has_attr,
    dominates,
)
from .matcher import DFPatternMatcher, match
from .rewriter import DFPatternCallback, rewrite, partition

__all__ = [
    "DFPattern",
    "ExprPattern",
    "VarPattern",
    "ConstantPattern",
    "WildcardPattern",
    "CallPattern",
    "FunctionPattern",
    "IfPattern",
    "LetPattern",
    "TuplePattern",
    "TupleGetItemPattern",
    "AltPattern",
    "TypePattern",
    "DataTypePattern",
    "ShapePattern",
    "AttrPattern",
    "DominatorPattern",
    "DFPatternCallback",
    "is_var",
    "is_constant",
    "is_expr",
    "is_op",
    "is_tuple",
    "is_tuple_get_item",
    "is_if",
    "is_let",
    "wildcard",
    "has_type",
    "has_dtype",
    "has_shape",
    "has_attr",
    "dominates",
    "match",
    "rewrite",
    "partition",
]
