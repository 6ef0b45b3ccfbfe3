"""Relay text printer (reads like upstream's Relay text format).

``print(mod)`` gives::

    def @main(%data: Tensor[(1, 3, 224, 224), float32], %weight) -> Tensor[(1, 1000), float32] {
      %0 = nn.conv2d(%data, %weight, padding=[1, 1, 1, 1], channels=64) /* ty=... */;
      %1 = nn.relu(%0);
      %1
    }

Every non-atomic node is bound once to ``%N`` in the order it is computed;
shared nodes are printed once. Large constants print as ``meta[relay.Constant][i]``
(with ``show_meta_data`` a summary of them follows).
"""
import json


from . import ty as _ty
from .attrs import Attrs
from .adt import Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from .expr import (
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
from .function import Function


#: First line of a module's text (the format version of TVM 0.8's printer).
VERSION_HEADER = '#[version = "0.0.5"]'


def type_to_str(ty):
    """Text of a Relay type, e.g. ``Tensor[(1, 1000), float32]``."""
    if isinstance(ty, _ty.TensorType):
        if not ty.shape:
            return ty.dtype
        dims = ", ".join(str(d) for d in ty.shape)
        if len(ty.shape) == 1:
            dims += ","
        return f"Tensor[({dims}), {ty.dtype}]"
    if isinstance(ty, _ty.TupleType):
        return "(" + ", ".join(type_to_str(f) for f in ty.fields) + ("," if len(ty.fields) == 1 else "") + ")"
    if isinstance(ty, _ty.FuncType):
        args = ", ".join(type_to_str(a) for a in ty.arg_types)
        params = ""
        if ty.type_params:
            params = "[" + ", ".join(type_to_str(t) for t in ty.type_params) + "]"
        return f"fn {params}({args}) -> {type_to_str(ty.ret_type)}"
    if isinstance(ty, _ty.IncompleteType):
        return "?"
    if isinstance(ty, _ty.TypeVar | _ty.GlobalTypeVar):
        return ty.name_hint
    if isinstance(ty, _ty.TypeCall):
        if not ty.args:
            return type_to_str(ty.func)
        return f"{type_to_str(ty.func)}[{', '.join(type_to_str(a) for a in ty.args)}]"
    if isinstance(ty, _ty.RefType):
        return f"ref({type_to_str(ty.value)})"
    if isinstance(ty, _ty.TypeData):
        return type_data_to_str(ty)
    return object.__repr__(ty)


def type_data_to_str(data):
    """Text of an ADT definition: ``type List[A] {\n  Cons(A, List[A]),\n  Nil,\n}``."""
    header = data.header.name_hint
    if data.type_vars:
        header += "[" + ", ".join(type_to_str(t) for t in data.type_vars) + "]"
    lines = [f"type {header} {{"]
    for ctor in data.constructors:
        fields = ""
        if ctor.inputs:
            fields = "(" + ", ".join(type_to_str(t) for t in ctor.inputs) + ")"
        lines.append(f"  {ctor.name_hint}{fields},")
    lines.append("}")
    return "\n".join(lines)


def pattern_to_str(pattern, printer=None):
    """Text of a match pattern (``Cons(%x, _)``)."""
    if isinstance(pattern, PatternWildcard):
        return "_"
    if isinstance(pattern, PatternVar):
        if printer is None:
            return "%" + pattern.var.name_hint
        return printer.param(pattern.var)
    if isinstance(pattern, PatternConstructor):
        if not pattern.patterns:
            return pattern.constructor.name_hint
        subs = ", ".join(pattern_to_str(p, printer) for p in pattern.patterns)
        return f"{pattern.constructor.name_hint}({subs})"
    if isinstance(pattern, PatternTuple):
        subs = ", ".join(pattern_to_str(p, printer) for p in pattern.patterns)
        return "(" + subs + ("," if len(pattern.patterns) == 1 else "") + ")"
    return object.__repr__(pattern)


def _value_to_str(value):
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value_to_str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    if isinstance(value, float):
        return f"{value!r}f"  # repr: the shortest text that reads back exactly
    return str(value)


_DTYPE_SUFFIX = {"float32": "f", "float64": "f64", "float16": "f16", "int32": "", "int64": "i64"}


def _scalar_to_str(array):
    value = array.item()
    suffix = _DTYPE_SUFFIX.get(str(array.dtype), str(array.dtype))
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        # NumPy's str of a scalar is the shortest text that reads back to the
        # same value of its dtype.
        return str(array[()]) + suffix
    return f"{value}{suffix}"


class _Printer:
    def __init__(self, show_meta_data, show_types=True):
        self.show_meta_data = show_meta_data
        self.show_types = show_types
        self.var_names = {}
        self.used_names = set()
        self.constants = []
        self.counter = 0
        # id of the expression that ends the body being printed: written in
        # place, not bound to a ``%n`` (0.8's text: ``%0 = add(%x, %x);\n  multiply(%0, 2f)``)
        self.inline = None
        self.roots = []  # the expressions printed (for the use counts)
        self.uses = None  # id(expr) -> number of parents, computed on first need
        # a typed program notes the types of its constants too (0.8's optional info)
        self.note_constants = False

    def var_name(self, var):
        name = self.var_names.get(var)
        if name is None:
            base = var.name_hint or "v"
            if base[0].isdigit():
                base = "v" + base  # ``%1`` would be read back as a binding, as 0.8 avoided
            name = base
            index = 1
            while name in self.used_names:
                name = f"{base}_{index}"
                index += 1
            self.used_names.add(name)
            self.var_names[var] = name
        return "%" + name

    def type_note(self, expr):
        if self.show_types and expr._checked_type_ is not None:
            return f" /* ty={type_to_str(expr._checked_type_)} */"
        return ""

    def param(self, var):
        text = self.var_name(var)
        ty = var.type_annotation
        if ty is None and var._checked_type_ is not None:
            ty = var._checked_type_
        if ty is not None:
            text += f": {type_to_str(ty)}"
        return text

    def function(self, func, header, indent):
        if func.type_params:
            header += "[" + ", ".join(type_to_str(t) for t in func.type_params) + "]"
        params = [self.param(p) for p in func.params]
        params += [f"{k}={_value_to_str(v)}" for k, v in func.attrs.items()]
        ret = func.ret_type
        if ret is None and func._checked_type_ is not None:
            ret = func._checked_type_.ret_type
        ret_text = f" -> {type_to_str(ret)}" if ret is not None else ""
        lines = []
        scope = {}
        result = self.body(func.body, lines, scope, indent + 2)
        pad = " " * (indent + 2)
        body = "\n".join(lines + [pad + result])
        return f"{header}({', '.join(params)}){ret_text} {{\n{body}\n{' ' * indent}}}"

    def use_count(self, expr):
        """How many parents ``expr`` has in the printed program."""
        if self.uses is None:
            self.uses = _use_counts(self.roots)
        return self.uses.get(id(expr), 0)

    def body(self, expr, lines, scope, indent):
        """Print ``expr`` as the result of a body: its last expression is
        written in place."""
        outer, self.inline = self.inline, id(expr)
        try:
            return self.expr(expr, lines, scope, indent)
        finally:
            self.inline = outer

    def bind(self, text, expr, lines, scope, indent):
        if id(expr) == self.inline:
            self.inline = None
            return text + self.type_note(expr)
        name = f"%{self.counter}"
        self.counter += 1
        lines.append(f"{' ' * indent}{name} = {text}{self.type_note(expr)};")
        scope[id(expr)] = (expr, name)
        return name

    def expr(self, expr, lines, scope, indent):
        found = scope.get(id(expr))
        if found is not None:
            return found[1]
        if isinstance(expr, Call | Tuple | TupleGetItem):
            self._bind_operands_first(expr, lines, scope, indent)
        if isinstance(expr, Var):
            return self.var_name(expr)
        if isinstance(expr, GlobalVar):
            return "@" + expr.name_hint
        if getattr(expr, "_is_relay_op", False):
            return expr.name
        if isinstance(expr, Constant):
            array = expr.numpy()
            note = self.type_note(expr) if self.note_constants else ""
            if array.ndim == 0:
                return _scalar_to_str(array) + note
            self.constants.append(array)
            return f"meta[relay.Constant][{len(self.constants) - 1}]" + note
        if isinstance(expr, Constructor):
            return expr.name_hint
        if isinstance(expr, Call) and isinstance(expr.op, Constructor) and not expr.args:
            return expr.op.name_hint  # a nullary constructor: ``Nil`` (0.8's text)
        if isinstance(expr, Call):
            op_text = self.expr(expr.op, lines, scope, indent)
            args = [self.expr(a, lines, scope, indent) for a in expr.args]
            if isinstance(expr.attrs, Attrs):
                if getattr(expr.op, "_is_relay_op", False):
                    # default values left out, as 0.8's printer (the parser restores them)
                    from tvm.parser.relay_text import printed_fields  # pylint: disable=import-outside-toplevel

                    fields = printed_fields(expr).items()
                else:
                    # the attributes of a call of a function name their class, as 0.8's
                    fields = list(expr.attrs.items()) + [("attrs_type_key", expr.attrs.type_key)]
                args += [f"{k}={_value_to_str(v)}" for k, v in fields]
            text = f"{op_text}({', '.join(args)})"
            source = _span_name(expr.span)
            if source:
                text += f" /* {source} */"  # where the call comes from, as 0.8
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, Tuple):
            fields = [self.expr(f, lines, scope, indent) for f in expr.fields]
            text = "(" + ", ".join(fields) + ("," if len(fields) == 1 else "") + ")"
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, TupleGetItem):
            inner = self.expr(expr.tuple_value, lines, scope, indent)
            return self.bind(f"{inner}.{expr.index}", expr, lines, scope, indent)
        if isinstance(expr, Function):
            text = self.function(expr, "fn ", indent)
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, Let) and id(expr) != self.inline:
            # a let used as a value (an argument, not the end of a body) is a
            # parenthesised scope bound to a ``%n``, as 0.8 printed it
            inner, outer = [], self.inline
            self.inline = id(expr)
            try:
                result = self.expr(expr, inner, dict(scope), indent + 2)
            finally:
                self.inline = outer
            pad = " " * (indent + 2)
            text = "(\n" + "\n".join(inner + [pad + result]) + f"\n{' ' * indent})"
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, Let):
            outer = self.inline
            if self.use_count(expr.value) == 1 and not isinstance(expr.value, Let):
                # a value used only here is written in the let (0.8's text)
                self.inline = id(expr.value)
            value = self.expr(expr.value, lines, scope, indent)
            self.inline = outer
            lines.append(f"{' ' * indent}let {self.param(expr.var)} = {value};")
            if id(expr) == self.inline:
                self.inline = id(expr.body)
            result = self.expr(expr.body, lines, scope, indent)
            scope[id(expr)] = (expr, result)  # a let used twice is written once
            return result
        if isinstance(expr, If):
            cond = self.expr(expr.cond, lines, scope, indent)
            branches = []
            for branch in (expr.true_branch, expr.false_branch):
                inner_lines = []
                result = self.body(branch, inner_lines, dict(scope), indent + 2)
                branches.append("\n".join(inner_lines + [" " * (indent + 2) + result]))
            text = (
                f"if ({cond}) {{\n{branches[0]}\n{' ' * indent}}} else {{\n"
                f"{branches[1]}\n{' ' * indent}}}"
            )
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, Match):
            data = self.expr(expr.data, lines, scope, indent)
            clauses = []
            for clause in expr.clauses:
                inner_lines = []
                lhs = pattern_to_str(clause.lhs, self)
                result = self.body(clause.rhs, inner_lines, dict(scope), indent + 4)
                body = "\n".join(inner_lines + [" " * (indent + 4) + result])
                clauses.append(f"{' ' * (indent + 2)}{lhs} => {{\n{body}\n{' ' * (indent + 2)}}},")
            keyword = "match" if expr.complete else "match?"
            text = f"{keyword} ({data}) {{\n" + "\n".join(clauses) + f"\n{' ' * indent}}}"
            return self.bind(text, expr, lines, scope, indent)
        if isinstance(expr, RefCreate):
            value = self.expr(expr.value, lines, scope, indent)
            return self.bind(f"ref({value})", expr, lines, scope, indent)
        if isinstance(expr, RefRead):
            ref = self.expr(expr.ref, lines, scope, indent)
            return self.bind(f"ref_read({ref})", expr, lines, scope, indent)
        if isinstance(expr, RefWrite):
            ref = self.expr(expr.ref, lines, scope, indent)
            value = self.expr(expr.value, lines, scope, indent)
            return self.bind(f"ref_write({ref}, {value})", expr, lines, scope, indent)
        return object.__repr__(expr)

    def _bind_operands_first(self, expr, lines, scope, indent):
        """Bind the calls, tuples and projections below ``expr`` in post order
        with an explicit stack, so that printing a long chain (10^4 ops) does
        not recurse once per op: each operand is then found in ``scope``."""
        order, seen, stack = [], set(), [(expr, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen or id(node) in scope:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if isinstance(node, Call):
                children = list(node.args) + ([node.op] if isinstance(node.op, Call | Tuple | TupleGetItem) else [])
            elif isinstance(node, Tuple):
                children = list(node.fields)
            else:
                children = [node.tuple_value]
            stack.extend((c, False) for c in reversed(children) if isinstance(c, Call | Tuple | TupleGetItem))
        for node in order[:-1]:  # the root itself is printed by the caller
            self.expr(node, lines, scope, indent)

    def meta_section(self):
        if not (self.show_meta_data and self.constants):
            return ""
        from tvm.parser.relay_text import metadata_section  # pylint: disable=import-outside-toplevel

        return "\n" + metadata_section(self.constants)


def _children(node):
    if isinstance(node, Call):
        return (node.op,) + tuple(node.args)
    if isinstance(node, Tuple):
        return node.fields
    if isinstance(node, TupleGetItem):
        return (node.tuple_value,)
    if isinstance(node, Let):
        return (node.value, node.body)
    if isinstance(node, If):
        return (node.cond, node.true_branch, node.false_branch)
    if isinstance(node, Function):
        return (node.body,)
    if isinstance(node, Match):
        return (node.data,) + tuple(c.rhs for c in node.clauses)
    if isinstance(node, RefCreate):
        return (node.value,)
    if isinstance(node, RefRead):
        return (node.ref,)
    if isinstance(node, RefWrite):
        return (node.ref, node.value)
    return ()


def _use_counts(roots):
    """``{id(expr): number of parents}`` over the expressions below ``roots``
    (an explicit stack: programs may be deep)."""
    counts, seen, stack = {}, set(), list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child in _children(node):
            counts[id(child)] = counts.get(id(child), 0) + 1
            stack.append(child)
    return counts


def _span_name(span):
    """The source name of a call's span (0.8 printed it after the call)."""
    if span is None:
        return ""
    source = getattr(span, "source_name", None)
    name = getattr(source, "name", None) if source is not None else None
    return str(name) if name else ""


def astext(node, show_meta_data=False):
    """Text of an expression, a function or an :class:`IRModule`."""
    from .module import IRModule  # pylint: disable=import-outside-toplevel

    printer = _Printer(show_meta_data)
    if isinstance(node, IRModule):
        defined = node.type_definitions
        parts = [type_data_to_str(data) for data in defined.values()]
        # ADTs whose constructors the functions use but the module does not
        # define (a module made of some functions of another) are printed
        # too, so the text parses on its own.
        parts += [
            type_data_to_str(data) for data in _used_type_data(node)
            if data.header not in defined
        ]
        printer.roots = [f for _, f in node.functions_items() if isinstance(f, Function)]
        for gvar, func in node.functions_items():
            if isinstance(func, Function):
                printer.note_constants = func._checked_type_ is not None
                parts.append(printer.function(func, f"def @{gvar.name_hint}", 0))
            else:
                parts.append(f"def @{gvar.name_hint} = {func!r}")
        return "\n".join([VERSION_HEADER] + parts) + printer.meta_section()
    if isinstance(node, _ty.Type):
        return type_to_str(node)
    if isinstance(node, PatternWildcard | PatternVar | PatternConstructor | PatternTuple):
        return pattern_to_str(node)
    printer.roots = [node]
    printer.note_constants = getattr(node, "_checked_type_", None) is not None and not isinstance(
        node, Constant
    )
    # Free variables are declared first, as 0.8's printer, so the text parses.
    lines = [f"free_var {printer.param(var)};" for var in _free_vars(node)]
    if isinstance(node, Function):
        return "\n".join(lines + [printer.function(node, "fn ", 0)]) + printer.meta_section()
    result = printer.body(node, lines, {}, 0)
    return "\n".join(lines + [result]) + printer.meta_section()


def _used_type_data(mod):
    """Definitions of the ADTs whose constructors the module's functions use."""
    from .expr_functor import ExprVisitor  # pylint: disable=import-outside-toplevel

    found = {}

    def note(ctor):
        data = ctor._type_data  # pylint: disable=protected-access
        if data is not None:
            found.setdefault(data.header.name_hint, data)

    def note_pattern(pattern):
        if isinstance(pattern, PatternConstructor):
            note(pattern.constructor)
        for sub in getattr(pattern, "patterns", ()):
            note_pattern(sub)

    class _Walk(ExprVisitor):
        def visit_constructor(self, con):
            note(con)

        def visit_match(self, match):
            for clause in match.clauses:
                note_pattern(clause.lhs)
            super().visit_match(match)

    walker = _Walk()
    for _, func in mod.functions_items():
        if isinstance(func, Function):
            try:
                walker.visit(func)
            except Exception:  # pylint: disable=broad-except
                pass  # printing must not fail
    return list(found.values())


def _free_vars(expr):
    """Free variables in order of first use (variables bound by functions, lets
    and match patterns excluded); a walk of its own so printing depends on no
    analysis pass."""
    from .adt import pattern_vars  # pylint: disable=import-outside-toplevel
    from .expr_functor import ExprVisitor  # pylint: disable=import-outside-toplevel

    used, bound = [], set()

    class _Walk(ExprVisitor):
        def visit_var(self, var):
            if var not in bound and var not in used:
                used.append(var)

        def visit_function(self, fn):
            bound.update(fn.params)
            self.visit(fn.body)

        def visit_let(self, let):
            bound.add(let.var)
            self.visit(let.value)
            self.visit(let.body)

        def visit_match(self, match):
            self.visit(match.data)
            for clause in match.clauses:
                bound.update(pattern_vars(clause.lhs))
                self.visit(clause.rhs)

    try:
        _Walk().visit(expr)
    except Exception:  # pylint: disable=broad-except
        return []  # not a Relay expression the walk knows (printing must not fail)
    return [v for v in used if v not in bound]
