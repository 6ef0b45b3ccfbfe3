"""Matching a pattern against an expression.

Semantics (TVM 0.8's matcher):

* A pattern object that matched once is bound to that expression: used again
  in the same match it must meet the very same node (``x = wildcard();
  (x + y) * (x - y)``). A failed branch forgets the bindings it made.
* ``add`` and ``multiply`` calls also match with their two arguments swapped.
  ``(a * b) / c`` also matches ``a * (b / c)`` and ``b * (a / c)``, and
  ``a * (b / c)`` also matches ``(a * b) / c``, so rewrites of normalisation
  formulas do not depend on how the frontend associated them.
* An :class:`AttrPattern` checks an operator's registry attributes
  (``TOpPattern``), a call's attributes (all named fields must exist and be
  equal) or a function's attributes.
* Type, dtype and shape patterns read the expression's inferred type (type
  inference runs on the sub-expression if it has none yet; an expression whose
  type cannot be inferred does not match).
* A :class:`DominatorPattern` matches its child when, walking up from the
  child's inputs, every node matches ``path`` until ``parent`` is met, and the
  parent lies below the child in the post-dominator tree (nothing else uses
  the region).
"""
import numbers

from ..attrs import Attrs
from ..expr import Call, Constant, GlobalVar, If, Let, RelayExpr, Tuple, TupleGetItem, Var
from ..function import Function
from .. import ty as _ty
from .indexed_graph import expr_graph
from .pattern import (
    AltPattern,
    AttrPattern,
    CallPattern,
    ConstantPattern,
    DataTypePattern,
    DFPattern,
    DominatorPattern,
    ExprPattern,
    FunctionPattern,
    IfPattern,
    LetPattern,
    ShapePattern,
    TupleGetItemPattern,
    TuplePattern,
    TypePattern,
    VarPattern,
    WildcardPattern,
    _dim_value,
)

__all__ = ["DFPatternMatcher", "match"]


def _is_op_node(expr):
    return getattr(type(expr), "_is_relay_op", False)


def _same(lhs, rhs):
    if lhs is rhs:
        return True
    return isinstance(lhs, GlobalVar) and isinstance(rhs, GlobalVar) and lhs == rhs


def _pattern_op_name(call_pattern):
    """The operator name of ``is_op(name)(...)``, else ``None``."""
    if isinstance(call_pattern, CallPattern) and isinstance(call_pattern.op, ExprPattern):
        if _is_op_node(call_pattern.op.expr):
            return call_pattern.op.expr.name
    return None


def _expr_op_name(expr):
    if isinstance(expr, Call) and _is_op_node(expr.op):
        return expr.op.name
    return None


def _plain(value):
    """Attribute values in a comparable form: strings for string-like objects
    (dtypes, FFI strings, StringImm), ints and floats for IntImm/FloatImm and
    NumPy scalars, tuples for sequences."""
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    kind = type(value).__name__
    if kind in ("IntImm", "FloatImm"):
        return value.value
    if kind == "StringImm":
        return str(value.value)
    if kind in ("String", "DataType", "dtype"):
        return str(value)
    if isinstance(value, list | tuple) or kind in ("Array", "Shape"):
        return tuple(_plain(v) for v in value)
    return value


def attr_value_equal(expected, actual):
    """Whether an attribute value of a pattern equals the value found on a node."""
    expected, actual = _plain(expected), _plain(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool):
            return expected == actual
        # TVM stores booleans as integers: 1 and True agree, "1" and True do not.
        return isinstance(expected, int | float) and isinstance(actual, int | float) and expected == actual
    if isinstance(expected, str) or isinstance(actual, str):
        return isinstance(expected, str) and isinstance(actual, str) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    if isinstance(expected, tuple) and isinstance(actual, tuple):
        return len(expected) == len(actual) and all(
            attr_value_equal(a, b) for a, b in zip(expected, actual)
        )
    if expected is None or actual is None:
        return expected is actual
    if isinstance(expected, RelayExpr | _ty.Type | Attrs) or isinstance(actual, RelayExpr | _ty.Type | Attrs):
        from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

        try:
            return structural_equal(expected, actual)
        except TypeError:
            return False
    try:
        import tvm  # pylint: disable=import-outside-toplevel

        return bool(tvm.ir.structural_equal(expected, actual))
    except Exception:  # pylint: disable=broad-except
        return expected == actual


def expr_type(expr):
    """The inferred type of ``expr`` (inferred now if missing), or ``None`` when
    it has none (an operator) or cannot be inferred."""
    if _is_op_node(expr):
        return None
    if expr._checked_type_ is not None:
        return expr._checked_type_
    from ..transform.type_infer import infer_type  # pylint: disable=import-outside-toplevel
    from ..op.type_relations import RelayTypeError  # pylint: disable=import-outside-toplevel

    try:
        return infer_type(expr)
    except (RelayTypeError, ValueError, TypeError, KeyError):
        return None


class DFPatternMatcher:
    """Matches patterns against sub-expressions of one root expression.

    After a successful :meth:`match`, :meth:`get_memo` maps each sub-pattern to
    the expressions it matched (what a rewrite callback receives as
    ``node_map``).
    """

    def __init__(self, root_expr):
        self.expr_graph = expr_graph(root_expr)
        self.memo = {}
        self.matched_nodes = []
        self.memoize = True
        self._dispatch = {
            AltPattern: self._visit_alt,
            AttrPattern: self._visit_attr,
            CallPattern: self._visit_call,
            ConstantPattern: self._visit_constant,
            DataTypePattern: self._visit_dtype,
            DominatorPattern: self._visit_dominator,
            ExprPattern: self._visit_expr,
            FunctionPattern: self._visit_function,
            IfPattern: self._visit_if,
            LetPattern: self._visit_let,
            ShapePattern: self._visit_shape,
            TupleGetItemPattern: self._visit_tuple_get_item,
            TuplePattern: self._visit_tuple,
            TypePattern: self._visit_type,
            VarPattern: self._visit_var,
            WildcardPattern: self._visit_wildcard,
        }

    def match(self, pattern, expr):
        """Whether ``expr`` matches ``pattern`` (bindings start afresh)."""
        self.memo = {}
        self.matched_nodes = []
        return self.visit(pattern, expr)

    def get_memo(self):
        """``{pattern: [expr, ...]}`` of the last successful match."""
        return {pattern: list(exprs) for pattern, exprs in self.memo.items()}

    def _clear_map(self, watermark):
        for pattern in self.matched_nodes[watermark:]:
            self.memo.pop(pattern, None)
        del self.matched_nodes[watermark:]

    def visit(self, pattern, expr):
        """Match ``pattern`` against ``expr`` under the current bindings."""
        if self.memoize and pattern in self.memo:
            return _same(expr, self.memo[pattern][0])
        watermark = len(self.matched_nodes)
        handler = self._dispatch.get(type(pattern))
        if handler is None:
            handler = self._handler_for_subclass(pattern)
        out = handler(pattern, expr)
        if out:
            self.memo.setdefault(pattern, []).append(expr)
            self.matched_nodes.append(pattern)
        else:
            self._clear_map(watermark)
        return out

    def _handler_for_subclass(self, pattern):
        for cls, handler in self._dispatch.items():
            if isinstance(pattern, cls):
                return handler
        raise TypeError(f"cannot match a {type(pattern).__name__}: not a dataflow pattern")

    # -- pattern kinds -----------------------------------------------------------

    def _visit_alt(self, pattern, expr):
        return self.visit(pattern.left, expr) or self.visit(pattern.right, expr)

    def _visit_attr(self, pattern, expr):
        if not self.visit(pattern.pattern, expr):
            return False
        wanted = pattern.attrs.items()
        if _is_op_node(expr):
            for name, value in wanted:
                if not expr.has_attr(name) or not attr_value_equal(value, expr.get_attr(name)):
                    return False
            return True
        if isinstance(expr, Call):
            attrs = expr.attrs
            for name, value in wanted:
                if attrs is None or name not in attrs or not attr_value_equal(value, attrs[name]):
                    return False
            return True
        if isinstance(expr, Function):
            for name, value in wanted:
                if name not in expr.attrs or not attr_value_equal(value, expr.attrs[name]):
                    return False
            return True
        return False

    def _match_args(self, pattern_args, expr_args):
        watermark = len(self.matched_nodes)
        matches = True
        if pattern_args is not None:
            if len(pattern_args) != len(expr_args):
                matches = False
            else:
                for pat, arg in zip(pattern_args, expr_args):
                    if not self.visit(pat, arg):
                        matches = False
                        break
        if not matches:
            self._clear_map(watermark)
        return matches

    def _visit_call(self, pattern, expr):
        if not isinstance(expr, Call):
            return False
        watermark = len(self.matched_nodes)
        if self.visit(pattern.op, expr.op):
            if self._match_args(pattern.args, expr.args):
                return True
            if _pattern_op_name(pattern) in ("add", "multiply") and pattern.args is not None:
                if self._match_args(tuple(reversed(pattern.args)), expr.args):
                    return True
            return False
        self._clear_map(watermark)
        return self._visit_call_associative(pattern, expr, watermark)

    def _visit_call_associative(self, pattern, expr, watermark):
        """Match ``(a * b) / c`` against ``a * (b / c)`` and the converse."""
        name = _pattern_op_name(pattern)
        if pattern.args is None or len(pattern.args) != 2 or len(expr.args) != 2:
            return False
        expr_name = _expr_op_name(expr)
        arg_names = [_expr_op_name(a) for a in expr.args]
        if name == "divide":
            inner = pattern.args[0]
            if (
                _pattern_op_name(inner) == "multiply"
                and inner.args is not None
                and len(inner.args) == 2
                and expr_name == "multiply"
                and "divide" in arg_names
            ):
                for arg_id in (0, 1):
                    div = CallPattern(pattern.op, [inner.args[arg_id], pattern.args[1]])
                    mul = CallPattern(inner.op, [inner.args[1 - arg_id], div])
                    if self.visit(mul, expr):
                        return True
                    self._clear_map(watermark)
                return False
        if name == "multiply":
            for arg_id in (0, 1):
                inner = pattern.args[arg_id]
                if (
                    _pattern_op_name(inner) == "divide"
                    and inner.args is not None
                    and len(inner.args) == 2
                    and expr_name == "divide"
                    and "multiply" in arg_names
                ):
                    mul = CallPattern(pattern.op, [inner.args[0], pattern.args[1 - arg_id]])
                    div = CallPattern(inner.op, [mul, inner.args[1]])
                    return self.visit(div, expr)
        return False

    def _matches_path(self, pattern, expr):
        """Every input path of ``expr`` reaches ``pattern.parent`` through nodes
        matching ``pattern.path``."""
        callee = expr.op if isinstance(expr, Call) else None
        for node in self.expr_graph.node(expr).inputs:
            if callee is not None and node.ref is callee:
                continue
            self.memoize = True
            if self.visit(pattern.parent, node.ref):
                return True
            self.memoize = False
            if not self.visit(pattern.path, node.ref) or not self._matches_path(pattern, node.ref):
                return False
        return True

    def _dominates_parent(self, pattern, expr):
        """Some node below ``expr`` in the post-dominator tree matches the parent."""
        stack = [self.expr_graph.node(expr)]
        seen = set()
        while stack:
            current = stack.pop()
            for node in current.dominator_children:
                if id(node) in seen:
                    continue
                if self.visit(pattern.parent, node.ref):
                    return True
                stack.append(node)
                seen.add(id(node))
        return False

    def _visit_dominator(self, pattern, expr):
        if expr not in self.expr_graph:
            raise ValueError(
                "a DominatorPattern can only match sub-expressions of the expression "
                "the matcher was built for"
            )
        if self.visit(pattern.child, expr):
            matches_path = self._matches_path(pattern, expr)
            self.memoize = True
            if matches_path:
                return self._dominates_parent(pattern, expr)
        return False

    def _visit_expr(self, pattern, expr):
        target = pattern.expr
        if target is expr:
            return True
        if _is_op_node(target) or _is_op_node(expr):
            return False
        from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

        return structural_equal(target, expr)

    def _visit_function(self, pattern, expr):
        if not isinstance(expr, Function):
            return False
        if pattern.params is not None:
            if len(pattern.params) != len(expr.params):
                return False
            for pat, param in zip(pattern.params, expr.params):
                if not self.visit(pat, param):
                    return False
        return self.visit(pattern.body, expr.body)

    def _visit_tuple_get_item(self, pattern, expr):
        if not isinstance(expr, TupleGetItem):
            return False
        return (pattern.index == -1 or pattern.index == expr.index) and self.visit(
            pattern.tuple, expr.tuple_value
        )

    def _visit_tuple(self, pattern, expr):
        if not isinstance(expr, Tuple):
            return False
        if pattern.fields is None:
            return True
        if len(pattern.fields) != len(expr.fields):
            return False
        return all(self.visit(pat, field) for pat, field in zip(pattern.fields, expr.fields))

    def _visit_if(self, pattern, expr):
        if not isinstance(expr, If):
            return False
        return (
            self.visit(pattern.cond, expr.cond)
            and self.visit(pattern.true_branch, expr.true_branch)
            and self.visit(pattern.false_branch, expr.false_branch)
        )

    def _visit_let(self, pattern, expr):
        if not isinstance(expr, Let):
            return False
        return (
            self.visit(pattern.var, expr.var)
            and self.visit(pattern.value, expr.value)
            and self.visit(pattern.body, expr.body)
        )

    def _visit_type(self, pattern, expr):
        ty = expr_type(expr)
        if ty is None:
            return False
        from ..structural import structural_equal  # pylint: disable=import-outside-toplevel

        return structural_equal(pattern.type, ty) and self.visit(pattern.pattern, expr)

    def _visit_shape(self, pattern, expr):
        ty = expr_type(expr)
        if not isinstance(ty, _ty.TensorType):
            return False
        shape = tuple(_dim_value(d) for d in ty.shape)
        if len(shape) != len(pattern.shape) or not all(
            attr_value_equal(a, b) if isinstance(a, int) and isinstance(b, int) else _dim_equal(a, b)
            for a, b in zip(pattern.shape, shape)
        ):
            return False
        return self.visit(pattern.pattern, expr)

    def _visit_dtype(self, pattern, expr):
        ty = expr_type(expr)
        if not isinstance(ty, _ty.TensorType):
            return False
        return str(ty.dtype) == pattern.dtype and self.visit(pattern.pattern, expr)

    @staticmethod
    def _visit_var(pattern, expr):
        return isinstance(expr, Var) and (not pattern.name or pattern.name == expr.name_hint)

    @staticmethod
    def _visit_constant(_pattern, expr):
        return isinstance(expr, Constant)

    @staticmethod
    def _visit_wildcard(_pattern, _expr):
        return True


def _dim_equal(lhs, rhs):
    if lhs is rhs or lhs == rhs:
        return True
    try:
        import tvm  # pylint: disable=import-outside-toplevel

        return bool(tvm.ir.structural_equal(lhs, rhs))
    except Exception:  # pylint: disable=broad-except
        return False


def _check_match_args(pattern, expr, what):
    if not isinstance(pattern, DFPattern):
        raise TypeError(f"{what}: the pattern must be a DFPattern, got {type(pattern).__name__}: {pattern!r}")
    if not isinstance(expr, RelayExpr):
        raise TypeError(
            f"{what}: the expression must be a relay expression, got {type(expr).__name__}: {expr!r}"
        )


def match(pattern, expr):
    """Whether ``expr`` matches ``pattern``.

    Parameters
    ----------
    pattern : DFPattern
    expr : tvm.relay.Expr

    Returns
    -------
    result : bool
    """
    _check_match_args(pattern, expr, "match")
    return DFPatternMatcher(expr).match(pattern, expr)
