"""A Relay program as a Python program: ``to_python`` and ``run_as_python`` (0.8's helpers).

``to_python(expr, mod)`` writes a Python module (returned as an ``ast.Module``)
that evaluates ``expr``, leaving its value in the variable ``_py_out``;
``run_as_python(expr, mod)`` runs it and returns that value. The global
functions ``expr`` uses become Python functions, local functions nested Python
functions (closures), ``let`` an assignment, ``if`` and ``match`` Python
``if`` statements (a match tests constructor tags and binds the pattern
variables), references :class:`~tvm.relay.backend.interpreter.RefValue`
cells. Values are what the executors return: tensors are ``tvm.nd.NDArray``
(runtime tensors), tuples Python tuples (0.8's ``ADT``), ADT values
:class:`~tvm.relay.backend.interpreter.ConstructorValue`.

Operator calls: 0.8 compiled each one with ``relay.build`` for ``target``.
Here each is evaluated by the reference interpreter's kernels (NumPy; see
:mod:`tvm.relay.reference`), which needs no compilation per call. ``target``
is accepted for 0.8's signature and otherwise unused.

The generated module refers to the constants, operator calls and
constructors of the program through a table registered in this module under a
key written into the code, so it runs in the process that made it.
"""
import ast
import itertools
import re

import numpy as np

import tvm

from ..adt import Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from ..expr import (
    Call,
    Constant,
    GlobalVar,
    If,
    Let,
    RefCreate,
    RefRead,
    RefWrite,
    Tuple,
    TupleGetItem,
    Var,
)
from ..function import Function
from ..op.op import Op

OUTPUT_VAR_NAME = "_py_out"

# key -> (constants, operator callables, constructors): the tables of generated programs
_TABLES = {}
_KEYS = itertools.count()
_MAX_TABLES = 256


class _Runtime:
    """What the generated code calls."""

    @staticmethod
    def truth(value):
        array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        return bool(np.asarray(array).reshape(()))

    @staticmethod
    def operator(callee, attrs, type_args, mod):
        """A Python function applying ``callee`` (an op or a primitive function) to runtime values."""
        from ..reference.executor import to_runtime  # pylint: disable=import-outside-toplevel
        from ..reference.interpreter import Interpreter  # pylint: disable=import-outside-toplevel

        def to_expr(value):
            if isinstance(value, tuple | list):
                return Tuple([to_expr(v) for v in value])
            array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
            return Constant(np.asarray(array))

        def apply(*args):
            call = Call(callee, [to_expr(a) for a in args], attrs, type_args)
            return to_runtime(Interpreter(mod).evaluate_value(call))

        return apply


def _sanitize(name):
    name = re.sub(r"\W", "_", name or "v")
    return name if not name[:1].isdigit() else "_" + name


class _Scope:
    def __init__(self, parent=None):
        self.parent = parent
        self.memo = {}

    def lookup(self, key):
        scope = self
        while scope is not None:
            if key in scope.memo:
                return scope.memo[key]
            scope = scope.parent
        return None


class PythonConverter:
    """Writes the Python source of a Relay expression (see the module docstring)."""

    def __init__(self, mod=None, target=None):
        from ..module import IRModule  # pylint: disable=import-outside-toplevel

        self.mod = mod if mod is not None else IRModule()
        self.target = target
        self.counter = itertools.count()
        self.names = {}
        self.consts = []
        self.ops = []
        self.ctors = []
        self.globals = {}
        self.global_lines = []

    # -- names and tables
    def fresh(self, hint):
        return f"{_sanitize(hint)}_{next(self.counter)}"

    def var_name(self, var):
        name = self.names.get(var)
        if name is None:
            name = self.fresh(var.name_hint)
            self.names[var] = name
        return name

    def const(self, const):
        self.consts.append(tvm.runtime.tensor(np.array(const.numpy()), tvm.cpu(0)))
        return f"_consts[{len(self.consts) - 1}]"

    def op(self, callee, attrs=None, type_args=()):
        self.ops.append(_Runtime.operator(callee, attrs, type_args, self.mod))
        return f"_ops[{len(self.ops) - 1}]"

    def ctor(self, con):
        self.ctors.append(con)
        return f"_ctors[{len(self.ctors) - 1}]"

    def global_name(self, gvar):
        name = self.globals.get(gvar.name_hint)
        if name is None:
            name = "_global_" + _sanitize(gvar.name_hint)
            self.globals[gvar.name_hint] = name
            func = self.mod[gvar]
            if not isinstance(func, Function):
                raise ValueError(f"to_python: @{gvar.name_hint} is not a Relay function")
            if func.is_primitive:
                self.global_lines.append(f"{name} = {self.op(func)}")
            else:
                self.global_lines.extend(self.function_def(name, func, _Scope()))
        return name

    # -- statements
    def function_def(self, name, func, scope):
        params = [self.var_name(p) for p in func.params]
        body = []
        inner = _Scope(scope)
        value = self.expr(func.body, body, inner)
        lines = [f"def {name}({', '.join(params)}):"]
        lines += ["    " + line for line in body]
        lines.append(f"    return {value}")
        return lines

    def assign(self, out, code, hint="t"):
        name = self.fresh(hint)
        out.append(f"{name} = {code}")
        return name

    def expr(self, expr, out, scope):  # pylint: disable=too-many-return-statements,too-many-branches
        """Append the statements computing ``expr`` to ``out``; a Python name (or atom) of its value."""
        if isinstance(expr, Var):
            if expr not in self.names:
                raise ValueError(f"to_python: free variable {expr.name_hint!r}")
            return self.names[expr]
        if isinstance(expr, Constant):
            return self.const(expr)
        if isinstance(expr, GlobalVar):
            return self.global_name(expr)
        if isinstance(expr, Op):
            return self.op(expr)
        if isinstance(expr, Constructor):
            con = self.ctor(expr)
            return f"(lambda *fields: _ConstructorValue({con}.tag, list(fields), {con}))"
        found = scope.lookup(id(expr))
        if found is not None:
            return found[1]
        result = self._compound(expr, out, scope)
        scope.memo[id(expr)] = (expr, result)
        return result

    def _compound(self, expr, out, scope):  # pylint: disable=too-many-return-statements
        if isinstance(expr, Tuple):
            fields = [self.expr(f, out, scope) for f in expr.fields]
            return self.assign(out, "(" + "".join(f + ", " for f in fields) + ")", "tup")
        if isinstance(expr, TupleGetItem):
            return self.assign(out, f"{self.expr(expr.tuple_value, out, scope)}[{expr.index}]", "item")
        if isinstance(expr, Function):
            if expr.is_primitive:
                return self.op(expr)
            name = self.fresh("fn")
            out.extend(self.function_def(name, expr, scope))
            return name
        if isinstance(expr, Let):
            node = expr
            while isinstance(node, Let):
                name = self.var_name(node.var)
                if isinstance(node.value, Function) and not node.value.is_primitive:
                    out.extend(self.function_def(name, node.value, scope))  # may call itself
                else:
                    out.append(f"{name} = {self.expr(node.value, out, scope)}")
                node = node.body
            return self.expr(node, out, scope)
        if isinstance(expr, If):
            cond = self.expr(expr.cond, out, scope)
            result = self.fresh("if")
            out.append(f"if _Runtime.truth({cond}):")
            out.extend(self.block(expr.true_branch, result, scope))
            out.append("else:")
            out.extend(self.block(expr.false_branch, result, scope))
            return result
        if isinstance(expr, Call):
            return self.call(expr, out, scope)
        if isinstance(expr, RefCreate):
            return self.assign(out, f"_RefValue({self.expr(expr.value, out, scope)})", "ref")
        if isinstance(expr, RefRead):
            return self.assign(out, f"{self.expr(expr.ref, out, scope)}.value", "read")
        if isinstance(expr, RefWrite):
            ref = self.expr(expr.ref, out, scope)
            value = self.expr(expr.value, out, scope)
            out.append(f"{ref}.value = {value}")
            return self.assign(out, "()", "unit")
        if isinstance(expr, Match):
            return self.match(expr, out, scope)
        raise TypeError(f"to_python cannot convert {type(expr).__name__}")

    def block(self, expr, result, scope):
        """Indented statements computing ``expr`` into the variable ``result``."""
        lines = []
        value = self.expr(expr, lines, _Scope(scope))
        lines.append(f"{result} = {value}")
        return ["    " + line for line in lines]

    def call(self, call, out, scope):
        op = call.op
        args = None
        if isinstance(op, Op):
            callee = self.op(op, call.attrs, call.type_args)
        elif isinstance(op, Constructor):
            con = self.ctor(op)
            args = [self.expr(a, out, scope) for a in call.args]
            return self.assign(out, f"_ConstructorValue({con}.tag, [{', '.join(args)}], {con})", "adt")
        elif isinstance(op, Function) and op.is_primitive:
            callee = self.op(op, call.attrs, call.type_args)
        else:
            callee = self.expr(op, out, scope)
        args = [self.expr(a, out, scope) for a in call.args]
        return self.assign(out, f"{callee}({', '.join(args)})", "call")

    def pattern_test(self, pattern, path, tests, binds):
        """Conditions (in order) and bindings for ``pattern`` matching the value at ``path``."""
        if isinstance(pattern, PatternWildcard):
            return
        if isinstance(pattern, PatternVar):
            binds.append(f"{self.var_name(pattern.var)} = {path}")
            return
        if isinstance(pattern, PatternConstructor):
            tests.append(f"{path}.tag == {self.ctor(pattern.constructor)}.tag")
            for i, sub in enumerate(pattern.patterns):
                self.pattern_test(sub, f"{path}.fields[{i}]", tests, binds)
            return
        if isinstance(pattern, PatternTuple):
            for i, sub in enumerate(pattern.patterns):
                self.pattern_test(sub, f"{path}[{i}]", tests, binds)
            return
        raise TypeError(f"to_python: unknown pattern {pattern!r}")

    def match(self, match, out, scope):
        data = self.expr(match.data, out, scope)
        result = self.fresh("match")
        first = True
        for clause in match.clauses:
            tests, binds = [], []
            self.pattern_test(clause.lhs, data, tests, binds)
            cond = " and ".join(tests) or "True"
            out.append(f"{'if' if first else 'elif'} {cond}:")
            out.extend("    " + b for b in binds)
            out.extend(self.block(clause.rhs, result, scope))
            first = False
        out.append("else:")
        out.append("    raise ValueError('match: no clause matches the value')")
        return result

    # -- the module
    def convert(self, expr):
        """The Python source computing ``expr`` into ``_py_out``."""
        from ..expr import RelayExpr  # pylint: disable=import-outside-toplevel

        if not isinstance(expr, RelayExpr) and hasattr(expr, "astuple"):
            expr = expr.astuple()  # a multi-output op's TupleWrapper (relay.split)
        body = []
        value = self.expr(expr, body, _Scope())
        key = next(_KEYS)
        _TABLES[key] = (self.consts, self.ops, self.ctors)
        while len(_TABLES) > _MAX_TABLES:
            del _TABLES[next(iter(_TABLES))]
        header = [
            "import tvm",
            "from tvm.relay.backend.interpreter import ConstructorValue as _ConstructorValue",
            "from tvm.relay.backend.interpreter import RefValue as _RefValue",
            "from tvm.relay.testing.py_converter import _Runtime, _TABLES",
            f"_consts, _ops, _ctors = _TABLES[{key}]",
        ]
        return "\n".join(header + self.global_lines + body + [f"{OUTPUT_VAR_NAME} = {value}"]) + "\n"


def to_python(expr, mod=None, target=None):
    """A Python module evaluating ``expr`` into ``_py_out`` (0.8's ``relay.testing.to_python``).

    Parameters
    ----------
    expr : relay.Expr
        The expression (no free variables; a function evaluates to a Python function).
    mod : tvm.IRModule, optional
        The module of the global functions and types ``expr`` uses.
    target : tvm.target.Target, optional
        Accepted for 0.8's signature (operators run on the reference interpreter).

    Returns
    -------
    module : ast.Module
        The program (``ast.unparse`` gives its source).
    """
    return ast.parse(PythonConverter(mod, target).convert(expr))


def run_as_python(expr, mod=None, target=None):
    """Evaluate ``expr`` by running the Python program :func:`to_python` makes
    (0.8's ``relay.testing.run_as_python``); its value."""
    module = to_python(expr, mod, target)
    namespace = {}
    exec(compile(module, "<relay to_python>", "exec"), namespace)  # pylint: disable=exec-used
    return namespace[OUTPUT_VAR_NAME]


__all__ = ["OUTPUT_VAR_NAME", "PythonConverter", "run_as_python", "to_python"]
