"""Variables and type variables of a program (0.8's ``free_vars`` family).

Order is 0.8's: the order in which a walk meets each variable, a binding site
(function parameter, let variable, match pattern variable) counting as a
meeting. A let variable is met before its value, a function's parameters
before its body, a match's data before its clauses, and each clause's pattern
before its right-hand side. ``free_vars`` is that order without the bound
variables; ``bound_vars`` the binding sites in order; ``all_vars`` everything.

The walk handles ``Match`` and the reference nodes by class name (see
:mod:`._nodes`), uses an explicit stack (networks are deep), and meets each
shared node once.
"""
from ..expr import Call, Let, Var
from ..function import Function
from . import _nodes


class _Ordered:
    """An insertion-ordered set."""

    __slots__ = ("items", "members")

    def __init__(self):
        self.items = []
        self.members = set()

    def add(self, item):
        if item not in self.members:
            self.members.add(item)
            self.items.append(item)


def _walk(expr):
    """``(all_vars, bound_vars)`` as insertion-ordered sets."""
    met, bound = _Ordered(), _Ordered()
    seen = set()
    stack = [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):  # ("bind", [vars]): binding sites reached
            for var in item[1]:
                bound.add(var)
                met.add(var)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Var):
            met.add(item)
            continue
        if isinstance(item, Function):
            stack.append(item.body)
            stack.append(("bind", item.params))
            continue
        if isinstance(item, Let):
            stack.append(item.body)
            stack.append(item.value)
            stack.append(("bind", (item.var,)))
            continue
        if _nodes.kind(item) == "Match":
            for clause in reversed(item.clauses):
                stack.append(clause.rhs)
                stack.append(("bind", _nodes.pattern_vars(clause.lhs)))
            stack.append(item.data)
            continue
        stack.extend(reversed(_nodes.children(item)))
    return met, bound


def free_vars(expr):
    """Variables ``expr`` uses without binding them, in the order first met.

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    free : list of tvm.relay.Var
    """
    met, bound = _walk(expr)
    return [v for v in met.items if v not in bound.members]


def bound_vars(expr):
    """Variables bound inside ``expr`` (parameters, let variables, pattern
    variables), in the order of their binding sites.

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    bound : list of tvm.relay.Var
    """
    return list(_walk(expr)[1].items)


def all_vars(expr):
    """Every variable of ``expr``, bound or free, in the order first met.

    Parameters
    ----------
    expr : tvm.relay.Expr

    Returns
    -------
    variables : list of tvm.relay.Var
    """
    return list(_walk(expr)[0].items)


# --------------------------------------------------------------------------
# type variables


def _type_children(ty):
    """``(bound_here, children)`` of a type, by class name."""
    name = _nodes.kind(ty)
    if name == "TupleType":
        return (), tuple(ty.fields)
    if name == "FuncType":
        params = tuple(getattr(ty, "type_params", ()) or ())
        rest = tuple(ty.arg_types) + (ty.ret_type,) + tuple(getattr(ty, "type_constraints", ()) or ())
        return params, params + rest
    if name == "TypeRelation":
        return (), tuple(ty.args)
    if name == "RefType":
        return (), (ty.value,)
    if name == "TypeCall":
        return (), (ty.func,) + tuple(ty.args)
    return (), ()


class _TypeVarWalk:
    """Type variables met in types and in the types written in expressions."""

    def __init__(self):
        self.met = _Ordered()
        self.bound = _Ordered()
        self.seen_types = set()

    def type(self, ty):
        if ty is None:
            return
        stack = [ty]
        while stack:
            node = stack.pop()
            if node is None or id(node) in self.seen_types:
                continue
            self.seen_types.add(id(node))
            if _nodes.kind(node) == "TypeVar":
                self.met.add(node)
                continue
            binds, kids = _type_children(node)
            for var in binds:
                self.bound.add(var)
                self.met.add(var)
            stack.extend(reversed([k for k in kids if k is not None]))

    def expr(self, expr):
        for node in _pre_order(expr):
            if isinstance(node, Var):
                self.type(node.type_annotation)
            elif isinstance(node, Function):
                for var in node.type_params:
                    self.bound.add(var)
                    self.met.add(var)
                for param in node.params:
                    self.type(param.type_annotation)
                self.type(node.ret_type)
            elif isinstance(node, Call):
                for arg in node.type_args:
                    self.type(arg)
            elif _nodes.kind(node) == "Match":
                for clause in node.clauses:
                    for var in _nodes.pattern_vars(clause.lhs):
                        self.type(var.type_annotation)


def _pre_order(expr):
    """Nodes of ``expr`` parents first (each once), children left to right."""
    seen = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(reversed(_nodes.children(node)))


def _type_var_walk(expr):
    walk = _TypeVarWalk()
    from ..ty import Type  # pylint: disable=import-outside-toplevel

    if isinstance(expr, Type) or _nodes.kind(expr).endswith("Type"):
        walk.type(expr)
    else:
        walk.expr(expr)
    return walk


def free_type_vars(expr, mod=None):  # pylint: disable=unused-argument
    """Type variables of an expression or a type not bound by a type
    parameter list (of a function or a function type), in the order met.

    Parameters
    ----------
    expr : Union[tvm.relay.Expr, tvm.relay.Type]
    mod : tvm.IRModule, optional
        Accepted for 0.8's signature (global type definitions bind no
        variable of the expression).

    Returns
    -------
    free : list of tvm.relay.TypeVar
    """
    walk = _type_var_walk(expr)
    return [v for v in walk.met.items if v not in walk.bound.members]


def bound_type_vars(expr, mod=None):  # pylint: disable=unused-argument
    """Type variables bound by type parameter lists in ``expr`` (a type or an
    expression), in the order met.

    Returns
    -------
    bound : list of tvm.relay.TypeVar
    """
    return list(_type_var_walk(expr).bound.items)


def all_type_vars(expr, mod=None):  # pylint: disable=unused-argument
    """Every type variable of ``expr`` (a type or an expression), in the order met.

    Returns
    -------
    variables : list of tvm.relay.TypeVar
    """
    return list(_type_var_walk(expr).met.items)


def all_dtypes(expr):
    """The element dtypes of every tensor type written or inferred in ``expr``
    (0.8's ``relay.analysis.all_dtypes``).

    Returns
    -------
    dtypes : set of str
    """
    out = set()

    def collect(ty):
        if ty is None:
            return
        if _nodes.kind(ty) == "TensorType":
            out.add(str(ty.dtype))
            return
        for kid in _type_children(ty)[1]:
            collect(kid)

    for node in _pre_order(expr):
        collect(getattr(node, "_checked_type_", None))
        if isinstance(node, Var):
            collect(node.type_annotation)
        elif isinstance(node, Function):
            collect(node.ret_type)
    return out


__all__ = [
    "free_vars",
    "bound_vars",
    "all_vars",
    "free_type_vars",
    "bound_type_vars",
    "all_type_vars",
    "all_dtypes",
]
