"""The language features a Relay program uses (0.8's ``relay.analysis.feature``).

``detect_feature`` walks a program once and reports the node kinds it meets
(``fVar``, ``fCall``, ``fLet``, ...), plus two properties: ``fGraph`` when a
non-atomic node (anything but a variable, global, constant, operator or
constructor) is reached from two places, i.e. the program is a dataflow graph
rather than a tree; and ``fLetRec`` when a let-bound value refers to its own
variable (a local recursive function). The inside of a ``"Primitive"``
function is not part of the program's features (it is a fused kernel); the
function itself counts as ``fFunction``.
"""
from enum import IntEnum

import tvm

from ..function import Function
from . import _nodes


class Feature(IntEnum):
    """The features a program might contain (0.8's values)."""

    fVar = 0
    fGlobalVar = 1
    fConstant = 2
    fTuple = 3
    fTupleGetItem = 4
    fFunction = 5
    fOp = 6
    fCall = 7
    fLet = 8
    fIf = 9
    fRefCreate = 10
    fRefRead = 11
    fRefWrite = 12
    fConstructor = 13
    fMatch = 14
    #: a non-atomic fragment of the program is shared, making it a graph
    fGraph = 15
    #: a local fixpoint (a let-bound value that uses its own variable)
    fLetRec = 16


_BY_KIND = {
    "Var": Feature.fVar,
    "GlobalVar": Feature.fGlobalVar,
    "Constant": Feature.fConstant,
    "Tuple": Feature.fTuple,
    "TupleGetItem": Feature.fTupleGetItem,
    "Function": Feature.fFunction,
    "Op": Feature.fOp,
    "Call": Feature.fCall,
    "Let": Feature.fLet,
    "If": Feature.fIf,
    "RefCreate": Feature.fRefCreate,
    "RefRead": Feature.fRefRead,
    "RefWrite": Feature.fRefWrite,
    "Constructor": Feature.fConstructor,
    "Match": Feature.fMatch,
}

_ATOMIC = ("Var", "GlobalVar", "Constant", "Op", "Constructor")


def _feature_of(node):
    name = _nodes.kind(node)
    if name in _BY_KIND:
        return _BY_KIND[name]
    # subclasses of the core kinds (e.g. a Var subclass) count as their base
    for base in type(node).__mro__[1:]:
        if base.__name__ in _BY_KIND:
            return _BY_KIND[base.__name__]
    return None


def _detect_expr(expr, features):
    from .variables import free_vars  # pylint: disable=import-outside-toplevel

    seen = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            if _nodes.kind(node) not in _ATOMIC and not _nodes.is_op(node):
                features.add(Feature.fGraph)
            continue
        seen.add(id(node))
        feature = _feature_of(node)
        if feature is None and _nodes.is_op(node):
            feature = Feature.fOp
        if feature is not None:
            features.add(feature)
        if isinstance(node, Function) and node.is_primitive:
            continue
        if feature == Feature.fLet and node.var in free_vars(node.value):
            features.add(Feature.fLetRec)
        stack.extend(reversed(_nodes.children(node)))


def _module_functions(mod):
    return [f for _, f in mod.functions_items() if isinstance(f, tvm.relay.RelayExpr)]


def detect_feature(a, b=None):
    """The features used by a Relay program.

    Parameters
    ----------
    a : Union[tvm.relay.Expr, tvm.IRModule]
        An expression or a module.
    b : Union[tvm.relay.Expr, tvm.IRModule], optional
        The other one of the two (they cannot both be expressions or both
        modules); the features of both are reported.

    Returns
    -------
    features : set of Feature
    """
    if isinstance(a, tvm.ir.IRModule):
        a, b = b, a
    features = set()
    if a is not None:
        _detect_expr(a, features)
    if b is not None:
        for func in _module_functions(b):
            _detect_expr(func, features)
    return features


__all__ = ["Feature", "detect_feature"]
