"""Reverse-mode automatic differentiation: ``relay.transform.gradient`` (TVM 0.8's API).

``gradient(fn)`` turns ``fn(x1, ..., xn) -> T`` into
``fn(x1, ..., xn) -> (T, (dx1, ..., dxn))`` where ``dxi`` is the gradient of the
sum of every element of the output (the adjoint of the output is seeded with
ones, as 0.8 did) with respect to ``xi``.

How: the body is turned into a data-flow graph (``let`` bindings are inlined,
shared sub-expressions stay shared), type-checked, and walked once backwards
from the output; each operator call hands the adjoint of its output to the
operator's registered gradient (``"FPrimalGradient"``, see
:func:`tvm.relay.op.register_gradient` and :mod:`tvm.relay.op._tensor_grad`),
which returns one adjoint expression per argument; adjoints reaching the same
expression are added. The result is one expression DAG, so the forward values
are computed once and reused by the backward part.

0.8 had two modes: ``"first_order"`` (programs of tensors and tuples) and
``"higher_order"`` (any program, through references and closures). This fork has
no closures, so both modes accept the same first-order programs -- operator calls,
tuples and their projections, ``let``, ``if``, constants, variables, calls of
function literals, let-bound functions and module globals (inlined), and references
created, read and written in straight-line code (resolved while inlining: a read is
the value of the last write) -- and give the same function (for such programs 0.8's two
modes compute the same values), except that for a tuple result the
higher-order mode seeds only its first field, as 0.8's did. Anything else
(closures used as values, recursion, references stored, passed, returned or written
inside an ``if``, pattern matching) raises
:class:`GradientNotSupported` naming the construct.

``if``: each branch is differentiated down to the parameters separately and the
parameters' adjoints are selected by a second ``if`` on the same condition, so
the backward pass never mixes in the branch not taken.
"""
from ..expr import (Call, Constant, GlobalVar, If, Let, RefCreate, RefRead, RefWrite, Tuple,
                    TupleGetItem, Var)
from ..function import Function
from ..op.op import Op
from ..ty import TupleType
from ._utils import post_order

__all__ = ["gradient", "GradientNotSupported"]


class GradientNotSupported(NotImplementedError):
    """The program uses a construct automatic differentiation does not handle here."""


def gradient(expr, mod=None, mode="higher_order"):
    """The gradient function of ``expr`` (TVM 0.8's ``relay.transform.gradient``).

    Parameters
    ----------
    expr : relay.Function
        The function to differentiate (first-order: see the module docstring).
    mod : Optional[tvm.IRModule]
        The module its global references are resolved in (only used for type
        inference: calls of globals are not differentiated).
    mode : str
        ``"higher_order"`` (default) or ``"first_order"``; both give the same
        function for the programs supported.

    Returns
    -------
    expr : relay.Function
        ``fn(x1..xn) -> (T, (dx1..dxn))``, the gradient of ``sum(fn(x1..xn))``.
    """
    if mode not in ("higher_order", "first_order"):
        raise ValueError(f"gradient: unknown mode {mode!r}; expected 'higher_order' or 'first_order'")
    active = ()
    if isinstance(expr, GlobalVar):
        active = (expr.name_hint,)
        expr = _resolve_global(expr, mod)
    if not isinstance(expr, Function):
        raise TypeError(f"gradient: expected a relay.Function, got {type(expr).__name__}")
    if expr.type_params:
        raise GradientNotSupported("gradient: polymorphic functions (type parameters) are not supported")
    from ..op import _tensor_grad  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    from .type_infer import infer_type  # pylint: disable=import-outside-toplevel

    body = _Inliner(mod, active=active)._value(expr.body)
    forward = Function(list(expr.params), body)
    infer_type(forward, mod)
    result = _Reverse(forward, seed_all=(mode == "first_order")).run()
    if any(isinstance(node, If) for node in post_order(result.body)):
        # 0.8's gradient gave let-bound (A-normal) code; values the branches of an
        # ``if`` share are bound before it here too (basic block normal form).
        from .to_basic_block_normal_form import to_basic_block_normal_form  # pylint: disable=import-outside-toplevel

        result = to_basic_block_normal_form(result)
    return result


class _Inliner:
    """Copies the body as a DAG of operator calls, tuples and projections.

    ``let`` bound values replace their variables; calls of function literals,
    of let-bound functions and of global functions (from ``mod``) are inlined
    (beta reduction; first-order programs only, so this keeps their meaning).
    """

    def __init__(self, mod=None, env=None, active=()):
        self.mod = mod
        self.memo = {}
        self.env = dict(env or {})
        self.active = tuple(active)  # global functions being inlined (recursion check)

    def visit(self, node):
        key = id(node)
        if key in self.memo:
            return self.memo[key][1]
        out = self._visit(node)
        self.memo[key] = (node, out)  # keep node alive so its id stays unique
        return out

    def _visit(self, node):
        if isinstance(node, Var):
            value = self.env.get(node, node)
            if isinstance(value, Function):
                raise GradientNotSupported(
                    f"gradient: the function {node.name_hint} is used as a value "
                    "(closures are not supported; only calls of functions are)")
            return value
        if isinstance(node, (Constant, Op)):
            return node
        if isinstance(node, Let):
            value = node.value
            self.env[node.var] = value if isinstance(value, Function) else self.visit(value)
            return self.visit(node.body)
        if isinstance(node, Tuple):
            return Tuple([self._value(f) for f in node.fields])
        if isinstance(node, TupleGetItem):
            return TupleGetItem(self._value(node.tuple_value), node.index)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, If):
            if any(isinstance(n, (RefCreate, RefWrite)) for branch in
                   (node.true_branch, node.false_branch) for n in post_order(branch)):
                raise GradientNotSupported("gradient: references created or written inside an "
                                           "if are not supported")
            return If(self._value(node.cond), self._value(node.true_branch),
                      self._value(node.false_branch))
        if isinstance(node, Function):
            raise GradientNotSupported(
                "gradient: a function literal used as a value (closure) is not supported")
        if isinstance(node, GlobalVar):
            raise GradientNotSupported(
                f"gradient: the global function {node.name_hint} used as a value is not supported")
        if isinstance(node, RefCreate):
            return _Cell(self._value(node.value))
        if isinstance(node, RefRead):
            return self._cell(node.ref).value
        if isinstance(node, RefWrite):
            cell = self._cell(node.ref)
            cell.value = self._value(node.value)
            return Tuple([])
        raise GradientNotSupported(f"gradient: {type(node).__name__} is not supported "
                                   "(ADTs and pattern matching are not available)")

    def _value(self, node):
        """The inlined value of ``node``, which must not be a reference."""
        value = self.visit(node)
        if isinstance(value, _Cell):
            raise GradientNotSupported("gradient: a reference used as a value (stored, passed "
                                       "or returned) is not supported")
        return value

    def _cell(self, node):
        cell = self.visit(node)
        if not isinstance(cell, _Cell):
            raise GradientNotSupported("gradient: a reference computed at run time is not "
                                       "supported")
        return cell

    def _call(self, node):
        callee = node.op
        if isinstance(callee, Op):
            return Call(callee, [self._value(a) for a in node.args], node.attrs, node.type_args)
        active = self.active
        if isinstance(callee, Var) and isinstance(self.env.get(callee), Function):
            callee = self.env[callee]
        elif isinstance(callee, GlobalVar):
            if callee.name_hint in active:
                raise GradientNotSupported(
                    f"gradient: the global function {callee.name_hint} is recursive "
                    "(recursion is not supported)")
            active = active + (callee.name_hint,)
            callee = _resolve_global(callee, self.mod)
        if not isinstance(callee, Function):
            raise GradientNotSupported(
                f"gradient: a call of {type(node.op).__name__} (a function computed at run "
                "time) is not supported; only operator calls and calls of known functions are")
        if callee.type_params:
            raise GradientNotSupported("gradient: polymorphic functions are not supported")
        args = [self.visit(a) for a in node.args]
        env = dict(self.env)
        env.update(zip(callee.params, args))
        return _Inliner(self.mod, env, active).visit(callee.body)


class _Cell:
    """A reference while the body is inlined: its current value (references of straight-line
    code are resolved statically, reads giving the value of the last write)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _resolve_global(gvar, mod):
    if mod is None:
        raise GradientNotSupported(
            f"gradient: the global function {gvar.name_hint} needs the module (pass mod=)")
    try:
        func = mod[gvar]
    except (KeyError, ValueError, AttributeError, TypeError) as err:
        raise GradientNotSupported(
            f"gradient: the global function {gvar.name_hint} is not in the module") from err
    if not isinstance(func, Function):
        raise GradientNotSupported(f"gradient: the global {gvar.name_hint} is not a Relay function")
    return func


def _zeros_like(expr):
    from ..op.tensor import zeros_like  # pylint: disable=import-outside-toplevel

    return zeros_like(expr)


def _ones_like(expr):
    from ..op.tensor import ones_like  # pylint: disable=import-outside-toplevel

    return ones_like(expr)


def _add(lhs, rhs):
    from ..op.tensor import add  # pylint: disable=import-outside-toplevel

    return add(lhs, rhs)


def _field(expr, i):
    return expr.fields[i] if isinstance(expr, Tuple) else TupleGetItem(expr, i)


class _Reverse:
    """The backward walk over one typed forward DAG.

    An adjoint is a tree shaped like the value's type: an expression (or None for
    zero) for a tensor, a list of trees for a tuple.
    """

    def __init__(self, func, seed_all):
        self.func = func
        self.seed_all = seed_all
        self.order = []
        self.depends = {}
        self.adjoint = {}
        self.params = set(func.params)

    def _topo(self, root):
        seen = set()
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                self.order.append(node)
                kids = self._children(node)
                self.depends[id(node)] = node in self.params if isinstance(node, Var) else any(
                    self.depends[id(k)] for k in kids)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for kid in reversed(self._children(node)):
                if id(kid) not in seen:
                    stack.append((kid, False))

    @staticmethod
    def _children(node):
        if isinstance(node, Call):
            return list(node.args)
        if isinstance(node, Tuple):
            return list(node.fields)
        if isinstance(node, TupleGetItem):
            return [node.tuple_value]
        if isinstance(node, If):
            return [node.cond, node.true_branch, node.false_branch]
        return []

    def _accumulate(self, node, tree):
        if tree is None or not self.depends.get(id(node), False):
            return
        self.adjoint[id(node)] = self._add_trees(self.adjoint.get(id(node)), tree)

    def _add_trees(self, a, b):
        if a is None:
            return b
        if b is None:
            return a
        if isinstance(a, list):
            return [self._add_trees(x, y) for x, y in zip(a, b)]
        return _add(a, b)

    def _materialize(self, tree, value, ty):
        if isinstance(ty, TupleType):
            return Tuple([
                self._materialize(None if tree is None else tree[i], _field(value, i), t)
                for i, t in enumerate(ty.fields)
            ])
        return _zeros_like(value) if tree is None else tree

    def _to_tree(self, expr, ty):
        if isinstance(ty, TupleType):
            return [self._to_tree(_field(expr, i), t) for i, t in enumerate(ty.fields)]
        return expr

    def _seed(self, value, ty):
        if isinstance(ty, TupleType):
            if not ty.fields:
                raise GradientNotSupported("gradient: the function returns an empty tuple")
            if not self.seed_all:  # higher-order mode: the first field only (as 0.8)
                return [self._seed(_field(value, 0), ty.fields[0])] + [None] * (len(ty.fields) - 1)
            return [self._seed(_field(value, i), t) for i, t in enumerate(ty.fields)]
        return _ones_like(value)

    def backprop(self, root, seed):
        """Adjoint trees of the parameters (by parameter) for the adjoint ``seed`` of ``root``."""
        self._topo(root)
        self._accumulate(root, seed)
        for node in reversed(self.order):
            tree = self.adjoint.get(id(node))
            if tree is None:
                continue
            if isinstance(node, Tuple):
                for i, f in enumerate(node.fields):
                    self._accumulate(f, tree[i])
            elif isinstance(node, TupleGetItem):
                src = node.tuple_value
                parts = [None] * len(src.checked_type.fields)
                parts[node.index] = tree
                self._accumulate(src, parts)
            elif isinstance(node, Call):
                self._call(node, tree)
            elif isinstance(node, If):
                self._if(node, tree)
        return {p: self.adjoint.get(id(p)) for p in self.func.params}

    def run(self):
        body = self.func.body
        trees = self.backprop(body, self._seed(body, body.checked_type))
        grads = [self._materialize(trees[p], p, p.checked_type) for p in self.func.params]
        return Function(list(self.func.params), Tuple([body, Tuple(grads)]))

    def _if(self, node, tree):
        """``if c then t else e``: each branch is differentiated down to the parameters on
        its own (so nothing flows into the branch not taken), and the parameters get the
        fields of ``if c then (dp..)_t else (dp..)_e``."""
        sides = [_Reverse(self.func, self.seed_all).backprop(branch, tree)
                 for branch in (node.true_branch, node.false_branch)]
        params = [p for p in self.func.params if any(side[p] is not None for side in sides)]
        if not params:
            return
        back = If(node.cond, *[
            Tuple([self._materialize(side[p], p, p.checked_type) for p in params]) for side in sides])
        for k, p in enumerate(params):
            self._accumulate(p, self._to_tree(TupleGetItem(back, k), p.checked_type))

    def _call(self, call, tree):
        op = call.op
        fgrad = op.get_attr("FPrimalGradient")
        if fgrad is None:
            raise GradientNotSupported(
                f"gradient: missing gradient for operator {op.name} (register one with "
                "relay.op.register_gradient)")
        out_grad = self._materialize(tree, call, call.checked_type)
        grads = fgrad(call, out_grad)
        if isinstance(grads, Tuple):
            grads = list(grads.fields)
        grads = list(grads)
        if len(grads) != len(call.args):
            raise ValueError(f"gradient of {op.name} returned {len(grads)} values for "
                             f"{len(call.args)} arguments")
        for arg, grad in zip(call.args, grads):
            if grad is not None:
                self._accumulate(arg, self._to_tree(grad, arg.checked_type))
