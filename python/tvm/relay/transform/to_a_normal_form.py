"""ToANormalForm: bind every intermediate value to a ``let`` (0.8's pass).

The inverse of :mod:`.to_graph_normal_form`. Each constant, call, tuple,
projection, ``if`` and local function becomes ``let %xN = value;`` in evaluation order
(operands first), so every intermediate has a name and is computed once; a node
shared by several users is bound once and its variable used by all of them.
Bindings are made in the scope that evaluates them: a function body and each
branch of an ``if`` get their own chain of lets (a value used only inside a
branch is not computed when the branch is not taken).
"""
from ..expr import Call, Constant, If, Let, Tuple, TupleGetItem, Var
from ..function import Function
from ._utils import TypedFunctionPass


class _Scope:
    """The bindings of one evaluation scope, and the variables of the values bound
    here or in an enclosing scope."""

    def __init__(self, parent=None):
        self.parent = parent
        self.bindings = []
        self.bound = {}

    def lookup(self, node):
        scope = self
        while scope is not None:
            if id(node) in scope.bound:
                return scope.bound[id(node)][1]
            scope = scope.parent
        return None

    def bind(self, node, value, counter):
        var = Var(f"x{counter[0]}")
        counter[0] += 1
        self.bindings.append((var, value))
        self.bound[id(node)] = (node, var)  # the node is kept alive so its id stays unique
        return var

    def wrap(self, result):
        for var, value in reversed(self.bindings):
            result = Let(var, value, result)
        return result


class _ANormalizer:
    def __init__(self):
        self.counter = [0]

    def function(self, func):
        body = self.block(func.body, None)
        return Function(func.params, body, func.ret_type, func.type_params, func.attrs)

    def block(self, expr, parent):
        """``expr`` as a chain of lets evaluated in a new scope under ``parent``."""
        scope = _Scope(parent)
        return scope.wrap(self.atom(expr, scope))

    def atom(self, expr, scope):
        """A variable (or constant, global, op) standing for ``expr``, its
        computation bound in ``scope``. Iterative over operands so long chains
        do not recurse once per node."""
        stack = [(expr, False)]
        done = {}
        while stack:
            node, expanded = stack.pop()
            if id(node) in done or not _compound(node) or scope.lookup(node) is not None:
                continue
            operands = _operands(node)
            if not expanded:
                stack.append((node, True))
                stack.extend((o, False) for o in reversed(operands))
                continue
            done[id(node)] = scope.bind(node, self.rebuild(node, scope), self.counter)
        return scope.lookup(expr) if _compound(expr) else expr

    def rebuild(self, node, scope):
        def sub(operand):
            return scope.lookup(operand) if _compound(operand) else operand

        if isinstance(node, Call):
            op = self.function(node.op) if isinstance(node.op, Function) else sub(node.op)
            return Call(op, [sub(a) for a in node.args], node.attrs, node.type_args)
        if isinstance(node, Tuple):
            return Tuple([sub(f) for f in node.fields])
        if isinstance(node, TupleGetItem):
            return TupleGetItem(sub(node.tuple_value), node.index)
        if isinstance(node, If):
            return If(sub(node.cond), self.block(node.true_branch, scope),
                      self.block(node.false_branch, scope))
        if isinstance(node, Function):
            return self.function(node)
        if isinstance(node, Constant):
            return node
        if isinstance(node, Let):
            # an existing let: its value is bound under its own variable's use
            value = self.atom(node.value, scope)
            scope.bindings.append((node.var, value))
            return self.atom(node.body, scope)
        raise TypeError(f"ToANormalForm: unexpected node {type(node).__name__}")


def _compound(node):
    # Constants are bound too, as 0.8 did (variables, globals, ops and constructors
    # are the atoms).
    return isinstance(node, (Constant, Call, Tuple, TupleGetItem, If, Function, Let))


def _operands(node):
    if isinstance(node, Call):
        return [a for a in node.args] + ([] if isinstance(node.op, Function) else [node.op])
    if isinstance(node, Tuple):
        return list(node.fields)
    if isinstance(node, TupleGetItem):
        return [node.tuple_value]
    if isinstance(node, If):
        return [node.cond]  # the branches are scopes of their own
    return []  # Function, Let: handled in rebuild


def to_a_normal_form(func):
    """``func`` (a Relay function) in A-normal form."""
    return _ANormalizer().function(func)


def ToANormalForm():  # pylint: disable=invalid-name
    """Bind every intermediate value to a ``let`` (0.8's ``relay.transform.ToANormalForm``,
    opt_level 1); see the module docstring.

    Returns
    -------
    Pass
    """
    return TypedFunctionPass(1, "ToANormalForm", lambda func, _mod, _ctx: to_a_normal_form(func), typed=False)


__all__ = ["ToANormalForm", "to_a_normal_form"]
