"""Structural equality and hashing of Relay expressions, up to variable renaming.

Two expressions are structurally equal when they have the same shape of nodes,
the same operators, attributes, constants and type annotations, and their bound
variables (function parameters, let-bound names) correspond one to one. Free
variables must be the very same objects unless ``map_free_vars`` is set.

The hash agrees with the equality: alpha-equivalent expressions hash equal. The
compile engine keys its cache on it, so two fused functions built from the same
ops and shapes share one kernel (and one auto-scheduler task).

Both walks memoise on node identity, so graphs with shared nodes are compared
and hashed in linear time. Unlike 0.8, sharing is not part of the
structure: ``add(y, y)`` with one ``y = add(x, x)`` equals
``add(add(x, x), add(x, x))`` (0.8 matched its "graph nodes" one to one).
The fork's ``ToANormalForm`` places a binding used in both branches of an
``if`` and after it in each branch, so its graph-form round trip duplicates
that computation; 0.8's stricter rule would tell the two apart.
"""
import hashlib

import numpy as np

from . import ty as _ty
from .attrs import Attrs
from .adt import (
    Clause,
    Constructor,
    Match,
    Pattern,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    PatternWildcard,
)
from .expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RefCreate,
    RefRead,
    RefWrite,
    RelayExpr,
    Tuple,
    TupleGetItem,
    Var,
)
from .function import Function
from .op.op import Op


def is_relay_node(obj):
    """True for Relay expressions, types and attrs (the fork's Python nodes)."""
    if isinstance(obj, list | tuple):
        # a sequence of Relay nodes (``call.type_args``, a list of types)
        return bool(obj) and all(is_relay_node(o) for o in obj)
    return isinstance(obj, RelayExpr | _ty.Type | Attrs | Pattern | Clause)


def _bare_adt(ty):
    """``nat`` written as a GlobalTypeVar is the type ``nat[]`` (a TypeCall)."""
    return _ty.TypeCall(ty, ()) if isinstance(ty, _ty.GlobalTypeVar) else ty


def _type_args_ignored(call):
    """Whether equality skips ``call.type_args``: for a primitive operator (as 0.8's
    ``CallNode::SEqualReduce``) and for a call type inference has annotated."""
    return isinstance(call.op, Op) or _typed(call)


def _type_hash(ty, tv_index):
    """Hash of a type with type variables numbered by binding (alpha-equivalent
    polymorphic types hash equal)."""
    ty = _bare_adt(ty)
    if isinstance(ty, _ty.TypeVar):
        if ty in tv_index:
            return hash(("tvar", tv_index[ty]))
        return hash(("free-tvar", ty.name_hint))
    if isinstance(ty, _ty.FuncType):
        inner = dict(tv_index)
        for tv in ty.type_params:
            inner[tv] = len(inner)
        return hash(("fntype", tuple(_type_hash(a, inner) for a in ty.arg_types),
                     _type_hash(ty.ret_type, inner), len(ty.type_params)))
    if isinstance(ty, _ty.TupleType):
        return hash(("tupletype", tuple(_type_hash(f, tv_index) for f in ty.fields)))
    if isinstance(ty, _ty.TypeCall):
        if isinstance(ty.func, _ty.GlobalTypeVar):
            return hash(("typecall", ty.func.name_hint, tuple(_type_hash(a, tv_index) for a in ty.args)))
        return hash(("typecall", _type_hash(ty.func, tv_index),
                     tuple(_type_hash(a, tv_index) for a in ty.args)))
    if isinstance(ty, _ty.RefType):
        return hash(("reftype", _type_hash(ty.value, tv_index)))
    if isinstance(ty, _ty.TypeData):
        inner = dict(tv_index)
        for tv in ty.type_vars:
            inner[tv] = len(inner)
        return hash(("typedata", ty.header.name_hint, tuple(
            (c.name_hint, tuple(_type_hash(i, inner) for i in c.inputs)) for c in ty.constructors
        )))
    if ty is None or isinstance(ty, _ty.IncompleteType):
        return hash("incomplete")
    return hash(ty)


def _type_equal(lhs, rhs, tv_map, map_free_tvars=False):
    """Structural type equality; ``tv_map`` maps lhs type variables bound so far
    to rhs ones (updated for free ones when ``map_free_tvars``)."""
    if lhs is rhs and not isinstance(lhs, _ty.TypeVar):
        return True
    if lhs is None or rhs is None:
        # no annotation and ``_`` (an incomplete type) both leave the type to inference
        other = rhs if lhs is None else lhs
        return other is None or isinstance(other, _ty.IncompleteType)
    lhs, rhs = _bare_adt(lhs), _bare_adt(rhs)
    if isinstance(lhs, _ty.TypeVar):
        if not isinstance(rhs, _ty.TypeVar):
            return False
        if lhs in tv_map:
            return tv_map[lhs] is rhs
        if lhs is rhs:
            return True
        if map_free_tvars and lhs.kind == rhs.kind and rhs not in tv_map.values():
            tv_map[lhs] = rhs
            return True
        return False
    if type(lhs) is not type(rhs):
        return False
    if isinstance(lhs, _ty.FuncType):
        if len(lhs.type_params) != len(rhs.type_params) or len(lhs.arg_types) != len(rhs.arg_types):
            return False
        if any(a.kind != b.kind for a, b in zip(lhs.type_params, rhs.type_params)):
            return False
        inner = dict(tv_map)
        inner.update(zip(lhs.type_params, rhs.type_params))
        return all(
            _type_equal(a, b, inner, map_free_tvars) for a, b in zip(lhs.arg_types, rhs.arg_types)
        ) and _type_equal(lhs.ret_type, rhs.ret_type, inner, map_free_tvars)
    if isinstance(lhs, _ty.TupleType):
        return len(lhs.fields) == len(rhs.fields) and all(
            _type_equal(a, b, tv_map, map_free_tvars) for a, b in zip(lhs.fields, rhs.fields)
        )
    if isinstance(lhs, _ty.TypeCall):
        if isinstance(lhs.func, _ty.GlobalTypeVar) or isinstance(rhs.func, _ty.GlobalTypeVar):
            if lhs.func != rhs.func:
                return False
        elif not _type_equal(lhs.func, rhs.func, tv_map, map_free_tvars):
            return False
        return (
            len(lhs.args) == len(rhs.args)
            and all(_type_equal(a, b, tv_map, map_free_tvars) for a, b in zip(lhs.args, rhs.args))
        )
    if isinstance(lhs, _ty.RefType):
        return _type_equal(lhs.value, rhs.value, tv_map, map_free_tvars)
    if isinstance(lhs, _ty.TypeData):
        if lhs.header != rhs.header or len(lhs.type_vars) != len(rhs.type_vars):
            return False
        if len(lhs.constructors) != len(rhs.constructors):
            return False
        inner = dict(tv_map)
        inner.update(zip(lhs.type_vars, rhs.type_vars))
        for a, b in zip(lhs.constructors, rhs.constructors):
            if a.name_hint != b.name_hint or len(a.inputs) != len(b.inputs):
                return False
            if not all(_type_equal(x, y, inner, map_free_tvars) for x, y in zip(a.inputs, b.inputs)):
                return False
        return True
    if isinstance(lhs, _ty.IncompleteType):
        return True
    return lhs == rhs


class _Hasher:
    def __init__(self, map_free_vars):
        self.map_free_vars = map_free_vars
        self.var_index = {}
        self.tv_index = {}
        self.memo = {}

    def type_hash(self, ty):
        return _type_hash(ty, self.tv_index)

    def pattern_hash(self, pat):
        if isinstance(pat, PatternVar):
            self.define(pat.var)
            return hash(("pvar", self.hash(pat.var)))
        if isinstance(pat, PatternConstructor):
            return hash(("pctor", self.hash(pat.constructor),
                         tuple(self.pattern_hash(p) for p in pat.patterns)))
        if isinstance(pat, PatternTuple):
            return hash(("ptuple", tuple(self.pattern_hash(p) for p in pat.patterns)))
        return hash("pwild")

    def define(self, var):
        self.var_index[var] = len(self.var_index)

    def hash(self, node):
        key = id(node)
        found = self.memo.get(key)
        if found is not None:
            return found[1]
        if isinstance(node, _CHAIN):
            for inner in _post_order(node, lambda n: id(n) in self.memo):
                self.memo[id(inner)] = (inner, self._hash(inner))
            return self.memo[key][1]
        value = self._hash(node)
        self.memo[key] = (node, value)
        return value

    def _hash(self, node):
        if isinstance(node, Var):
            if node not in self.var_index:
                if not self.map_free_vars:
                    return hash(("free", id(node)))
                self.define(node)
            return hash(("var", self.var_index[node], self.type_hash(node.type_annotation)))
        if isinstance(node, Call):
            type_args = () if _type_args_ignored(node) else tuple(self.type_hash(t) for t in node.type_args)
            return hash(
                ("call", self.hash(node.op), tuple(self.hash(a) for a in node.args), node.attrs,
                 type_args)
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
            for tv in node.type_params:
                self.tv_index.setdefault(tv, len(self.tv_index))
            for param in node.params:
                self.define(param)
            params = tuple(self.hash(p) for p in node.params)
            return hash(("fn", params, self.hash(node.body), self.type_hash(node.ret_type),
                         len(node.type_params), self.attrs_hash(node.attrs)))
        if isinstance(node, Match):
            clauses = tuple(
                (self.pattern_hash(c.lhs), self.hash(c.rhs)) for c in node.clauses
            )
            return hash(("match", self.hash(node.data), clauses, node.complete))
        if isinstance(node, Constructor):
            return hash(("ctor", node.name_hint, node.belong_to.name_hint))
        if isinstance(node, RefCreate):
            return hash(("refcreate", self.hash(node.value)))
        if isinstance(node, RefRead):
            return hash(("refread", self.hash(node.ref)))
        if isinstance(node, RefWrite):
            return hash(("refwrite", self.hash(node.ref), self.hash(node.value)))
        if isinstance(node, Pattern):
            return self.pattern_hash(node)
        if isinstance(node, Clause):
            return hash(("clause", self.pattern_hash(node.lhs), self.hash(node.rhs)))
        if isinstance(node, Let):
            parts = []
            while isinstance(node, Let):  # a chain of lets: a loop, not recursion
                self.define(node.var)
                parts.append((self.hash(node.var), self.hash(node.value)))
                node = node.body
            return hash(("let", tuple(parts), self.hash(node)))
        if isinstance(node, If):
            return hash(
                ("if", self.hash(node.cond), self.hash(node.true_branch), self.hash(node.false_branch))
            )
        if isinstance(node, GlobalVar):
            return hash(("global", node.name_hint))
        if isinstance(node, list | tuple):
            return hash(("seq", tuple(self.hash(n) for n in node)))
        if isinstance(node, _ty.Type):
            return self.type_hash(node)
        if isinstance(node, Attrs):
            return hash(node)
        name = getattr(node, "name", None)
        if name is not None:  # Op
            return hash(("op", name))
        raise TypeError(f"cannot hash {type(node).__name__}")

    def attrs_hash(self, attrs):
        """Function attributes may hold Relay nodes (``{param: ...}``): those
        are hashed structurally."""
        if attrs is None:
            return hash(None)
        try:
            return hash(attrs)
        except TypeError:
            pass
        return hash((attrs.type_key, tuple(
            (k, self.value_hash(v)) for k, v in sorted(attrs.items(), key=lambda kv: kv[0])
        )))

    def value_hash(self, value):
        if is_relay_node(value) and not isinstance(value, list | tuple):
            return self.hash(value)
        if isinstance(value, dict):
            return hash(("dict", len(value), sum(
                hash((self.value_hash(k), self.value_hash(v))) for k, v in value.items()
            )))
        if isinstance(value, list | tuple):
            return hash(("seq", tuple(self.value_hash(v) for v in value)))
        try:
            return hash(value)
        except TypeError:
            return hash(repr(value))


class _Equal:
    def __init__(self, map_free_vars):
        self.map_free_vars = map_free_vars
        self.lhs_to_rhs = {}
        self.rhs_to_lhs = {}
        self.tv_map = {}
        self.memo = {}

    def type_equal(self, lhs, rhs):
        return _type_equal(lhs, rhs, self.tv_map, self.map_free_vars)

    def pattern_equal(self, lhs, rhs):
        if type(lhs) is not type(rhs):
            return False
        if isinstance(lhs, PatternVar):
            return self.define(lhs.var, rhs.var)
        if isinstance(lhs, PatternConstructor):
            return (
                self.equal(lhs.constructor, rhs.constructor)
                and len(lhs.patterns) == len(rhs.patterns)
                and all(self.pattern_equal(a, b) for a, b in zip(lhs.patterns, rhs.patterns))
            )
        if isinstance(lhs, PatternTuple):
            return len(lhs.patterns) == len(rhs.patterns) and all(
                self.pattern_equal(a, b) for a, b in zip(lhs.patterns, rhs.patterns)
            )
        return isinstance(lhs, PatternWildcard)

    def define(self, lhs, rhs):
        if not self.type_equal(lhs.type_annotation, rhs.type_annotation):
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
        if isinstance(lhs, _CHAIN) and type(lhs) is type(rhs):
            # the pairs of a call/tuple chain, operands first: no recursion per op
            for a, b in _post_order_pairs(lhs, rhs, lambda k: k in self.memo):
                self.memo[(id(a), id(b))] = (a, b, self._equal(a, b))
            return self.memo[key][2]
        value = self._equal(lhs, rhs)
        self.memo[key] = (lhs, rhs, value)
        return value

    def attrs_equal(self, lhs, rhs):
        """Attributes; values that are Relay nodes (a function's ``{param: ...}``)
        are compared structurally, bound variables through the mapping."""
        if lhs is None or rhs is None:
            return lhs is rhs
        try:
            if lhs == rhs:
                return True
        except TypeError:
            pass
        if lhs.type_key != rhs.type_key or sorted(lhs.keys()) != sorted(rhs.keys()):
            return False
        return all(self.value_equal(lhs[k], rhs[k]) for k in lhs.keys())

    def value_equal(self, lhs, rhs):
        if is_relay_node(lhs) and not isinstance(lhs, list | tuple):
            return is_relay_node(rhs) and self.equal(lhs, rhs)
        if isinstance(lhs, dict):
            if not isinstance(rhs, dict) or len(lhs) != len(rhs):
                return False
            unmatched = list(rhs.items())
            for key, value in lhs.items():
                match = next((i for i, (k, v) in enumerate(unmatched)
                              if self.value_equal(key, k) and self.value_equal(value, v)), None)
                if match is None:
                    return False
                unmatched.pop(match)
            return True
        if isinstance(lhs, list | tuple):
            return (isinstance(rhs, list | tuple) and len(lhs) == len(rhs)
                    and all(self.value_equal(a, b) for a, b in zip(lhs, rhs)))
        try:
            return bool(lhs == rhs)
        except (TypeError, ValueError):
            return False

    def _type_args_equal(self, lhs, rhs):
        """Explicit type arguments of calls of functions (0.8 compared them, but not
        for calls of primitive operators). Those that type inference fills in follow
        from the argument types, so they are compared only between calls no
        inference has annotated: a typed expression still equals its untyped original."""
        if _type_args_ignored(lhs) or _type_args_ignored(rhs):
            return True
        return len(lhs.type_args) == len(rhs.type_args) and all(
            self.type_equal(a, b) for a, b in zip(lhs.type_args, rhs.type_args)
        )

    def _seq(self, lhs, rhs):
        return len(lhs) == len(rhs) and all(self.equal(a, b) for a, b in zip(lhs, rhs))

    def _equal(self, lhs, rhs):
        if isinstance(lhs, list | tuple) and isinstance(rhs, list | tuple):
            return self._seq(lhs, rhs)
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
                and self._type_args_equal(lhs, rhs)
            )
        if isinstance(lhs, Constant):
            a, b = lhs.numpy(), rhs.numpy()
            return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
        if isinstance(lhs, Tuple):
            return self._seq(lhs.fields, rhs.fields)
        if isinstance(lhs, TupleGetItem):
            return lhs.index == rhs.index and self.equal(lhs.tuple_value, rhs.tuple_value)
        if isinstance(lhs, Function):
            if len(lhs.params) != len(rhs.params) or len(lhs.type_params) != len(rhs.type_params):
                return False
            for a, b in zip(lhs.type_params, rhs.type_params):
                if a.kind != b.kind:
                    return False
                self.tv_map[a] = b
            if not all(self.define(a, b) for a, b in zip(lhs.params, rhs.params)):
                return False
            return (
                self.type_equal(lhs.ret_type, rhs.ret_type)
                and self.attrs_equal(lhs.attrs, rhs.attrs)
                and self.equal(lhs.body, rhs.body)
            )
        if isinstance(lhs, Let):
            # a chain of lets is walked in a loop (programs nest 100 000 of them)
            while isinstance(lhs, Let) and isinstance(rhs, Let):
                if not (self.define(lhs.var, rhs.var) and self.equal(lhs.value, rhs.value)):
                    return False
                lhs, rhs = lhs.body, rhs.body
            return self.equal(lhs, rhs)
        if isinstance(lhs, If):
            return (
                self.equal(lhs.cond, rhs.cond)
                and self.equal(lhs.true_branch, rhs.true_branch)
                and self.equal(lhs.false_branch, rhs.false_branch)
            )
        if isinstance(lhs, GlobalVar):
            return lhs.name_hint == rhs.name_hint
        if isinstance(lhs, Match):
            return (
                lhs.complete == rhs.complete
                and len(lhs.clauses) == len(rhs.clauses)
                and self.equal(lhs.data, rhs.data)
                and all(
                    self.pattern_equal(a.lhs, b.lhs) and self.equal(a.rhs, b.rhs)
                    for a, b in zip(lhs.clauses, rhs.clauses)
                )
            )
        if isinstance(lhs, Constructor):
            # Constructors of separately built definitions (a parsed module and
            # its original) correspond by name and type.
            return lhs.name_hint == rhs.name_hint and lhs.belong_to == rhs.belong_to
        if isinstance(lhs, RefCreate):
            return self.equal(lhs.value, rhs.value)
        if isinstance(lhs, RefRead):
            return self.equal(lhs.ref, rhs.ref)
        if isinstance(lhs, RefWrite):
            return self.equal(lhs.ref, rhs.ref) and self.equal(lhs.value, rhs.value)
        if isinstance(lhs, Pattern):
            return self.pattern_equal(lhs, rhs)
        if isinstance(lhs, Clause):
            return self.pattern_equal(lhs.lhs, rhs.lhs) and self.equal(lhs.rhs, rhs.rhs)
        if isinstance(lhs, _ty.Type):
            return self.type_equal(lhs, rhs)
        if isinstance(lhs, Attrs):
            return lhs == rhs
        return lhs is rhs  # Op: one object per name


#: Nodes of operator chains (a network is a long chain of calls): walked with
#: an explicit stack, operands before their users, left to right as the
#: recursive walk, so a 10^5-op chain needs no Python frame per op.
_CHAIN = (Call, Tuple, TupleGetItem)


def _chain_children(node):
    if isinstance(node, Call):
        return ((node.op,) if isinstance(node.op, _CHAIN) else ()) + tuple(node.args)
    if isinstance(node, Tuple):
        return tuple(node.fields)
    return (node.tuple_value,)


def _post_order(root, done):
    """The chain nodes below ``root`` (itself last) not ``done``, operands first."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen or done(node):
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_chain_children(node)) if isinstance(c, _CHAIN))
    return order


def _post_order_pairs(lhs, rhs, done):
    """Corresponding chain nodes of two expressions (the pair itself last)."""
    order, seen, stack = [], set(), [(lhs, rhs, False)]
    while stack:
        a, b, expanded = stack.pop()
        if expanded:
            order.append((a, b))
            continue
        key = (id(a), id(b))
        if key in seen or done(key):
            continue
        seen.add(key)
        stack.append((a, b, True))
        ca, cb = _chain_children(a), _chain_children(b)
        if len(ca) == len(cb):
            stack.extend(
                (x, y, False) for x, y in reversed(list(zip(ca, cb)))
                if isinstance(x, _CHAIN) and type(x) is type(y) and x is not y
            )
    return order


def _typed(call):
    return getattr(call, "_checked_type_", None) is not None


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
