"""Structural equality and hashing of Relay expressions, up to variable renaming.

Two expressions are structurally equal when they have the same shape of nodes,
the same operators, attributes, constants and type annotations, and their bound
variables (function parameters, let-bound names) correspond one to one. Free
variables must be the very same objects unless ``map_free_vars`` is set.

The hash agrees with the equality: alpha-equivalent expressions hash equal. The
compile engine keys its cache on it, so two fused functions built from the same
ops and shapes share one kernel (and one auto-scheduler task).

Both walks memoise on node identity, so graphs with shared nodes are compared
and hashed in linear time.
"""
import hashlib

import numpy as np

from . import ty as _ty
from .attrs import Attrs
from .expr import Call, Constant, GlobalVar, If, Let, RelayExpr, Tuple, TupleGetItem, Var
from .function import Function


def is_relay_node(obj):
    """True for Relay expressions, types and attrs (the fork's Python nodes)."""
    return isinstance(obj, RelayExpr | _ty.Type | Attrs)


class _Hasher:
    def __init__(self, map_free_vars):
        self.map_free_vars = map_free_vars
        self.var_index = {}
        self.memo = {}

    def define(self, var):
        self.var_index[var] = len(self.var_index)

    def hash(self, node):
        key = id(node)
        found = self.memo.get(key)
        if found is not None:
            return found[1]
        value = self._hash(node)
        self.memo[key] = (node, value)
        return value

    def _hash(self, node):
        if isinstance(node, Var):
            if node not in self.var_index:
                if not self.map_free_vars:
                    return hash(("free", id(node)))
                self.define(node)
            return hash(("var", self.var_index[node], node.type_annotation))
        if isinstance(node, Call):
            return hash(
                ("call", self.hash(node.op), tuple(self.hash(a) for a in node.args), node.attrs)
            )
        if isinstance(node, Constant):
            array = node.numpy()
            digest = hashlib.blake2b(array.tobytes(), digest_size=8).hexdigest()
            return hash(("const", array.shape, str(array.dtype), digest))
        if isinstance(node, Tuple):
            return hash(("tuple", tuple(self.hash(f) for f in node.fields)))
        if isinstance(node, TupleGetItem):
            return hash(("getitem", self.hash(node.tuple_value), node.index))
        if isinstance(node, Function):
            for param in node.params:
                self.define(param)
            params = tuple(self.hash(p) for p in node.params)
            return hash(("fn", params, self.hash(node.body), node.ret_type, node.attrs))
        if isinstance(node, Let):
            self.define(node.var)
            return hash(
                ("let", self.hash(node.var), self.hash(node.value), self.hash(node.body))
            )
        if isinstance(node, If):
            return hash(
                ("if", self.hash(node.cond), self.hash(node.true_branch), self.hash(node.false_branch))
            )
        if isinstance(node, GlobalVar):
            return hash(("global", node.name_hint))
        if isinstance(node, _ty.Type | Attrs):
            return hash(node)
        name = getattr(node, "name", None)
        if name is not None:  # Op
            return hash(("op", name))
        raise TypeError(f"cannot hash {type(node).__name__}")


class _Equal:
    def __init__(self, map_free_vars):
        self.map_free_vars = map_free_vars
        self.lhs_to_rhs = {}
        self.rhs_to_lhs = {}
        self.memo = {}

    def define(self, lhs, rhs):
        if lhs.type_annotation != rhs.type_annotation:
            return False
        self.lhs_to_rhs[lhs] = rhs
        self.rhs_to_lhs[rhs] = lhs
        return True

    def equal(self, lhs, rhs):
        if lhs is rhs and not isinstance(lhs, Var):
            return True
        key = (id(lhs), id(rhs))
        found = self.memo.get(key)
        if found is not None:
            return found[2]
        value = self._equal(lhs, rhs)
        self.memo[key] = (lhs, rhs, value)
        return value

    def _seq(self, lhs, rhs):
        return len(lhs) == len(rhs) and all(self.equal(a, b) for a, b in zip(lhs, rhs))

    def _equal(self, lhs, rhs):
        if type(lhs) is not type(rhs):
            return False
        if isinstance(lhs, Var):
            if lhs in self.lhs_to_rhs:
                return self.lhs_to_rhs[lhs] is rhs
            if rhs in self.rhs_to_lhs:
                return False
            if lhs is rhs:
                return True
            return self.map_free_vars and self.define(lhs, rhs)
        if isinstance(lhs, Call):
            return (
                lhs.attrs == rhs.attrs
                and self.equal(lhs.op, rhs.op)
                and self._seq(lhs.args, rhs.args)
            )
        if isinstance(lhs, Constant):
            a, b = lhs.numpy(), rhs.numpy()
            return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
        if isinstance(lhs, Tuple):
            return self._seq(lhs.fields, rhs.fields)
        if isinstance(lhs, TupleGetItem):
            return lhs.index == rhs.index and self.equal(lhs.tuple_value, rhs.tuple_value)
        if isinstance(lhs, Function):
            if len(lhs.params) != len(rhs.params):
                return False
            if not all(self.define(a, b) for a, b in zip(lhs.params, rhs.params)):
                return False
            return (
                lhs.ret_type == rhs.ret_type
                and lhs.attrs == rhs.attrs
                and self.equal(lhs.body, rhs.body)
            )
        if isinstance(lhs, Let):
            return (
                self.define(lhs.var, rhs.var)
                and self.equal(lhs.value, rhs.value)
                and self.equal(lhs.body, rhs.body)
            )
        if isinstance(lhs, If):
            return (
                self.equal(lhs.cond, rhs.cond)
                and self.equal(lhs.true_branch, rhs.true_branch)
                and self.equal(lhs.false_branch, rhs.false_branch)
            )
        if isinstance(lhs, GlobalVar):
            return lhs.name_hint == rhs.name_hint
        if isinstance(lhs, _ty.Type | Attrs):
            return lhs == rhs
        return lhs is rhs  # Op: one object per name


def structural_equal(lhs, rhs, map_free_vars=False):
    """True if ``lhs`` and ``rhs`` are equal up to renaming of bound variables.

    Parameters
    ----------
    lhs, rhs : RelayExpr, Type or Attrs
    map_free_vars : bool
        Also let free variables correspond by position of first occurrence.
    """
    return _Equal(map_free_vars).equal(lhs, rhs)


def structural_hash(node, map_free_vars=False):
    """A hash that agrees with :func:`structural_equal` (stable within a process)."""
    return _Hasher(map_free_vars).hash(node)


def assert_structural_equal(lhs, rhs, map_free_vars=False):
    """Raise ``ValueError`` showing both sides if they are not structurally equal."""
    if not structural_equal(lhs, rhs, map_free_vars):
        raise ValueError(
            "expressions are not structurally equal:\n"
            f"--- lhs ---\n{lhs}\n--- rhs ---\n{rhs}"
        )
