"""Relay IR from the Relay text format (``#[version = "0.0.5"]``).

The grammar (``relay_text.lark`` beside this file) is parsed by lark's LALR(1)
parser: a maintained parser generator gives exact error positions and keeps
the syntax in one readable file, where a hand-written tokeniser would spread it
over code. :class:`_Builder` then walks the parse tree in source order, so that
``%0 = ...;`` bindings, ``let`` and function parameters are in scope exactly
where the text uses them.

Operator calls: the attributes written in the text are kept exactly; those it
omits (0.8's printer leaves out default values, and hand-written text often
does) are filled in from the op's Python constructor, e.g. ``relay.nn.conv2d``,
called with the same arguments and attributes.
"""
import base64
import functools
import inspect
import json
import os
import re

import numpy as np
from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from tvm.relay import adt as _adt
from tvm.relay import expr as _expr
from tvm.relay import ty as _ty
from tvm.relay.attrs import Attrs, make_attrs
from tvm.relay.function import Function
from tvm.relay.op import op as _op

from .errors import ParseError

# Suffixes of scalar constants in the text (as 0.8's printer wrote them).
_SUFFIX_DTYPES = {
    "f": "float32", "f32": "float32", "f64": "float64", "f16": "float16",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
}


_DTYPE_NAME = re.compile(r"^(u?int|float|bfloat|bool)\d*(x\d+)?$")


# Infix operators of the text and the ops they call.
_BINARY_OPS = {
    "+": "add", "-": "subtract", "*": "multiply", "/": "divide",
    "<": "less", ">": "greater", "<=": "less_equal", ">=": "greater_equal",
    "==": "equal", "!=": "not_equal",
}


@functools.lru_cache(maxsize=None)
def _parser(start):
    grammar = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay_text.lark")
    with open(grammar, encoding="utf-8") as handle:
        return Lark(handle.read(), start=start, parser="lalr", maybe_placeholders=True)


def _split_scalar(text):
    """``"1.5f16"`` -> (``"1.5"``, ``"f16"``)."""
    body = text.lstrip("-")
    sign = text[: len(text) - len(body)]
    for special in ("inf", "nan"):
        if body.startswith(special):
            return sign + special, body[len(special):]
    end = 0
    while end < len(body) and (body[end].isdigit() or body[end] in ".eE" or
                               (body[end] in "+-" and end and body[end - 1] in "eE")):
        end += 1
    return sign + body[:end], body[end:]


def scalar_value(text):
    """The NumPy scalar written as ``text`` (``2f``, ``3i64``, ``1``, ``0.5``)."""
    number, suffix = _split_scalar(text)
    if suffix:
        dtype = _SUFFIX_DTYPES.get(suffix, suffix)
    elif any(c in number for c in ".eEn") or "inf" in number:
        dtype = "float32"
    else:
        # an integer literal too large for int32 is int64, as 0.8's parser
        dtype = "int32" if -2**31 <= int(number) < 2**31 else "int64"
    try:
        return np.array(number, dtype="float64").astype(dtype) if "float" in dtype else \
            np.array(int(number), dtype=dtype)
    except (TypeError, ValueError) as err:
        raise ParseError(f"bad scalar constant {text!r}: {err}") from None


def _attr_number(text):
    number, suffix = _split_scalar(text)
    if suffix or any(c in number for c in ".eEn") or "inf" in number:
        return float(number)
    return int(number)


def _constructor(op_name):
    """The Python function that builds calls of ``op_name`` (or None)."""
    from tvm import relay  # pylint: disable=import-outside-toplevel

    *namespace, name = op_name.split(".")
    module = relay
    for part in namespace:
        module = getattr(module, part, None) or getattr(relay.op, part, None)
        if module is None:
            return None
    func = getattr(module, name, None)
    return func if callable(func) else None


def _default_fields(op, args, fields):
    """Attribute fields of a call of ``op`` built by its Python constructor
    (None when the constructor cannot be used)."""
    ctor = _constructor(op.name)
    if ctor is None:
        return None
    try:
        call = ctor(*args, **fields)
    except Exception:  # pylint: disable=broad-except
        return None
    call = getattr(call, "tuple_value", call)  # TupleWrapper
    while isinstance(call, _expr.TupleGetItem):
        call = call.tuple_value
    if isinstance(call, _expr.Call) and call.op is op and isinstance(call.attrs, Attrs):
        return dict(call.attrs.items())
    return None


def _frozen(value):
    """``value`` as an :class:`Attrs` field stores it (lists become tuples)."""
    return Attrs("", {"value": value})["value"]


# Fields 0.8's attribute nodes declared without a default (the Python constructor
# has one): 0.8's printer always wrote them.
_ALWAYS_PRINTED = frozenset({"pool_size"})


def printed_fields(call):
    """The attribute fields of an operator ``call`` that the text shows.

    As 0.8's printer, fields equal to their default are left out: a default
    is the default of the op's Python constructor (``relay.nn.softmax``'s
    ``axis=-1``). A field is left out only if :func:`make_call` restores the
    exact attributes from the shorter text, so the round trip stays exact.
    """
    fields = dict(call.attrs.items())
    ctor = _constructor(call.op.name)
    if ctor is None:
        defaults = call.op.get_attr("attrs_defaults") or {}
        return {k: v for k, v in fields.items() if k not in defaults or defaults[k] != v}
    try:
        params = inspect.signature(ctor).parameters
    except (TypeError, ValueError):
        return fields
    kept = {
        key: value for key, value in fields.items()
        if key in _ALWAYS_PRINTED
        or not (key in params and params[key].default is not inspect.Parameter.empty
                and _frozen(params[key].default) == value)
    }
    if len(kept) == len(fields):
        return fields
    restored = _default_fields(call.op, list(call.args), kept)
    if restored is None:
        return fields
    restored.update(kept)
    return kept if restored == fields else fields


def make_call(op_name, args, fields):
    """A call of the primitive op ``op_name`` with the attributes ``fields``
    (omitted attributes take the op's defaults)."""
    try:
        op = _op.get(op_name)
    except Exception as err:  # pylint: disable=broad-except
        raise ParseError(f"unknown operator {op_name!r}: {err}") from None
    if not op.attrs_type_key:
        if fields:
            raise ParseError(f"operator {op_name} takes no attributes, got {sorted(fields)}")
        return _expr.Call(op, args)
    merged = _default_fields(op, args, fields)
    if merged is None:
        # an op whose constructor takes other names than its attribute fields
        # (on_device's device -> device_type) declares its defaults on the op
        defaults = op.get_attr("attrs_defaults") or {}
        merged = {k: v for k, v in defaults.items() if k not in fields}
    merged.update(fields)
    return _expr.Call(op, args, make_attrs(op.attrs_type_key, **merged))


class _Builder:
    """Relay IR from the parse tree, in source order (see the module docstring)."""

    def __init__(self, metadata, mod=None):
        self.metadata = metadata
        self.free_vars = {}
        # ADTs known to the text: those of the module parsed into, then the
        # text's own ``type`` definitions.
        self.global_types = {}
        self.ctors = {}
        if mod is not None and hasattr(mod, "type_definitions"):
            for gtv, data in mod.type_definitions.items():
                self.add_type_data(gtv, data)
        # Type variables in scope: a stack of {name: TypeVar}; the bottom one
        # holds names used without a declaring ``[A, ...]`` list.
        self.type_scopes = [{}]

    def add_type_data(self, gtv, data):
        self.global_types[gtv.name_hint] = gtv
        for ctor in data.constructors:
            self.ctors[ctor.name_hint] = ctor

    # ---------------------------------------------------------------- types
    def type_params(self, node):
        """Push a scope of new type variables for ``[A, B]`` (None: an empty scope)."""
        names = [str(n) for n in node.children] if node is not None else []
        params = [_ty.TypeVar(n) for n in names]
        self.type_scopes.append(dict(zip(names, params)))
        return params

    def type_name(self, name):
        for scope in reversed(self.type_scopes):
            if name in scope:
                return scope[name]
        if name in self.global_types:
            return self.global_types[name]
        tv = _ty.TypeVar(name)
        self.type_scopes[0][name] = tv
        return tv

    def type(self, node):
        kind = node.data
        if kind == "tensor_type":
            *dims, dtype = node.children
            dims = [d for d in dims if d is not None]
            return _ty.TensorType([self.dim(d) for d in dims], str(dtype))
        if kind == "named_type":
            name = str(node.children[0])
            if _DTYPE_NAME.match(name):
                return _ty.TensorType([], name)  # a scalar tensor type
            found = self.type_name(name)
            if isinstance(found, _ty.GlobalTypeVar):
                return _ty.TypeCall(found, [])  # ``nat``: an ADT without type arguments
            return found
        if kind == "type_call":
            name, *args = node.children
            return _ty.TypeCall(self.type_name(str(name)), [self.type(a) for a in args])
        if kind == "ref_type":
            return _ty.RefType(self.type(node.children[0]))
        if kind == "tuple_type":
            return _ty.TupleType([self.type(c) for c in node.children])
        if kind == "func_type":
            tparams, *args, ret = node.children
            params = self.type_params(tparams)
            try:
                return _ty.FuncType(
                    [self.type(a) for a in args if a is not None], self.type(ret), params
                )
            finally:
                self.type_scopes.pop()
        if kind == "incomplete_type":
            return _ty.IncompleteType()
        raise ParseError(f"unexpected type node {kind}")

    def type_definitions(self, nodes, mod):
        """Add the text's ``type`` definitions to ``mod`` (all names first, so
        definitions may refer to each other)."""
        pending = []
        for node in nodes:
            name = str(node.children[0])
            if name in self.global_types:
                raise ParseError(f"type {name} is defined twice")
            self.global_types[name] = _ty.GlobalTypeVar(name)
            pending.append(node)
        for node in pending:
            name, tparams, *ctor_defs = node.children
            gtv = self.global_types[str(name)]
            params = self.type_params(tparams)
            try:
                ctors = []
                if node.data != "extern_type":
                    for ctor_def in ctor_defs:
                        if ctor_def is None:
                            continue
                        cname, *fields = ctor_def.children
                        if str(cname) in self.ctors:
                            raise ParseError(f"constructor {cname} is defined twice")
                        inputs = [self.type(f) for f in fields if f is not None]
                        ctor = _adt.Constructor(str(cname), inputs, gtv)
                        self.ctors[str(cname)] = ctor
                        ctors.append(ctor)
            finally:
                self.type_scopes.pop()
            mod.add_def(gtv, _ty.TypeData(gtv, params, ctors))

    @staticmethod
    def dim(node):
        if node.data == "any_dim":
            return _ty.Any()
        return int(node.children[0])

    # ----------------------------------------------------------- attributes
    def attr_value(self, node):
        kind = node.data
        if kind == "string":
            return json.loads(str(node.children[0]))
        if kind == "number":
            return _attr_number(str(node.children[0]))
        if kind == "true":
            return True
        if kind == "false":
            return False
        if kind == "none":
            return None
        if kind == "list":
            return [self.attr_value(c) for c in node.children if c is not None]
        if kind == "name":
            return str(node.children[0])
        raise ParseError(f"unexpected attribute value {kind}")

    # ------------------------------------------------------------ functions
    def params(self, param_list, scope):
        params, attrs = [], {}
        if param_list is None:
            return params, attrs
        for item in param_list.children:
            if item.data == "param":
                name, ty = item.children
                var = _expr.Var(str(name)[1:], self.type(ty) if ty is not None else None)
                scope[str(name)] = var
                params.append(var)
            else:
                key, value = item.children
                attrs[str(key)] = self.attr_value(value)
        return params, attrs

    def function(self, type_params, param_list, ret_type, body, scope):
        tparams = self.type_params(type_params)
        try:
            inner = dict(scope)
            params, attrs = self.params(param_list, inner)
            ret = self.type(ret_type.children[0]) if ret_type is not None else None
            return Function(params, self.body(body, inner), ret, tparams, attrs=attrs or None)
        finally:
            self.type_scopes.pop()

    def body(self, node, scope):
        *statements, result = node.children
        lets = []
        for stmt in statements:
            if stmt.data == "bind":
                name, value = stmt.children
                scope[str(name)] = self.expr(value, scope)
            elif stmt.data == "let":
                name, ty, value = stmt.children
                # the variable is in scope in its own value (recursive functions)
                var = _expr.Var(str(name)[1:], self.type(ty) if ty is not None else None)
                scope[str(name)] = var
                lets.append((var, self.expr(value, scope)))
            elif stmt.data == "sequence":  # ``e1; rest``: e1 bound to a fresh variable
                lets.append((_expr.Var("_"), self.expr(stmt.children[0], scope)))
            else:  # free_var
                name, ty = stmt.children
                var = _expr.Var(str(name)[1:], self.type(ty) if ty is not None else None)
                scope[str(name)] = var
                self.free_vars[str(name)] = var
        out = self.expr(result, scope)
        for var, value in reversed(lets):
            out = _expr.Let(var, value, out)
        return out

    # ---------------------------------------------------------- expressions
    def expr(self, node, scope):  # pylint: disable=too-many-return-statements,too-many-branches
        if isinstance(node, Token):
            raise ParseError(f"unexpected token {node!r} at line {node.line}")
        kind = node.data
        if kind == "local":
            name = str(node.children[0])
            if name in scope:
                return scope[name]
            token = node.children[0]
            raise ParseError(
                f"undefined variable {name} at line {token.line}, column {token.column} "
                "(declare a free variable with 'free_var %name: type;')"
            )
        if kind == "global_var":
            return _expr.GlobalVar(str(node.children[0])[1:])
        if kind == "op":
            name = str(node.children[0])
            ctor = self.ctors.get(name)
            if ctor is not None:
                # a nullary constructor alone is its value (``Nil``), as 0.8
                return _expr.Call(ctor, []) if not ctor.inputs else ctor
            return _op.get(name)
        if kind == "scalar":
            return _expr.Constant(scalar_value(str(node.children[0])))
        if kind in ("true", "false"):
            return _expr.Constant(np.array(kind == "true"))
        if kind == "meta":
            section, index = str(node.children[0]), int(node.children[1])
            values = self.metadata.get(section)
            if values is None or index >= len(values):
                raise ParseError(
                    f"meta[{section}][{index}] is not in the metadata section "
                    f"(it has {len(values or [])} {section} entries)"
                )
            return values[index]
        if kind == "tuple":
            return _expr.Tuple([self.expr(c, scope) for c in node.children])
        if kind == "getitem":
            return _expr.TupleGetItem(self.expr(node.children[0], scope), int(node.children[1]))
        if kind == "call":
            return self.call(node, scope)
        if kind == "binary":
            lhs, op_token, rhs = node.children
            return make_call(_BINARY_OPS[str(op_token)], [self.expr(lhs, scope), self.expr(rhs, scope)], {})
        if kind == "negate":
            value = self.expr(node.children[0], scope)
            if isinstance(value, _expr.Constant):  # a negative literal
                return _expr.Constant(np.negative(value.numpy()))
            return make_call("negative", [value], {})
        if kind == "function":
            type_params, param_list, ret_type, body = node.children
            return self.function(type_params, param_list, ret_type, body, scope)
        if kind == "match":
            keyword, data, *clauses = node.children
            return _adt.Match(
                self.expr(data, scope),
                [self.clause(c, scope) for c in clauses if c is not None],
                complete=not str(keyword).endswith("?"),
            )
        if kind == "scoped_body":
            return self.body(node, dict(scope))
        if kind == "if_":
            cond, then_body, else_body = node.children
            return _expr.If(
                self.expr(cond, scope), self.body(then_body, dict(scope)), self.body(else_body, dict(scope))
            )
        raise ParseError(f"unexpected expression node {kind}")

    def clause(self, node, scope):
        pattern, rhs = node.children
        inner = dict(scope)
        lhs = self.pattern(pattern, inner)
        if rhs.data == "clause_expr":
            return _adt.Clause(lhs, self.expr(rhs.children[0], inner))
        return _adt.Clause(lhs, self.body(rhs, inner))

    def pattern(self, node, scope):
        kind = node.data
        if kind == "pattern_wildcard":
            return _adt.PatternWildcard()
        if kind == "pattern_var":
            name, ty = node.children
            var = _expr.Var(str(name)[1:], self.type(ty) if ty is not None else None)
            scope[str(name)] = var
            return _adt.PatternVar(var)
        if kind == "pattern_ctor":
            name, *subs = node.children
            ctor = self.ctors.get(str(name))
            if ctor is None:
                raise ParseError(
                    f"undefined constructor {name} at line {name.line} (known: {sorted(self.ctors)})"
                )
            return _adt.PatternConstructor(
                ctor, [self.pattern(p, scope) for p in subs if p is not None]
            )
        if kind == "pattern_tuple":
            return _adt.PatternTuple([self.pattern(p, scope) for p in node.children if p is not None])
        raise ParseError(f"unexpected pattern node {kind}")

    def call(self, node, scope):
        head, arg_list = node.children
        args, fields = [], {}
        for arg in arg_list.children if arg_list is not None else []:
            if isinstance(arg, Tree) and arg.data == "keyword":
                key, value = arg.children
                fields[str(key)] = self.attr_value(value)
            else:
                args.append(self.expr(arg, scope))
        if isinstance(head, Tree) and head.data == "op":
            name = str(head.children[0])
            if name in self.ctors and not fields:
                return _expr.Call(self.ctors[name], args)
            if name in _REF_NODES and not fields:
                node_class, arity = _REF_NODES[name]
                if len(args) != arity:
                    raise ParseError(f"{name} takes {arity} argument(s), got {len(args)}")
                return node_class(*args)
            return make_call(name, args, fields)
        attrs = None
        if fields:
            # a call of a function: its attributes name their class (0.8's text)
            type_key = fields.pop("attrs_type_key", None)
            if type_key is None:
                raise ParseError(
                    "only operator calls take attributes (a call of a function needs "
                    "attrs_type_key=... among them)"
                )
            attrs = make_attrs(str(type_key), **fields)
        return _expr.Call(self.expr(head, scope), args, attrs)


# ``ref(v)``, ``ref_read(r)``, ``ref_write(r, v)``: reference nodes, not operators.
_REF_NODES = {
    "ref": (_expr.RefCreate, 1),
    "ref_read": (_expr.RefRead, 1),
    "ref_write": (_expr.RefWrite, 2),
}


def _metadata(token):
    """``{section: [node]}`` from the ``#[metadata]`` section (JSON written by
    the fork's printer: constants as dtype, shape and base64 bytes)."""
    if token is None:
        return {}
    text = str(token)[len("#[metadata]"):].strip()
    if not text:
        return {}
    try:
        table = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"the metadata section is not the fork's JSON format: {err}") from None
    constants = []
    for entry in table.get("relay.Constant", []):
        array = np.frombuffer(base64.b64decode(entry["data"]), dtype=entry["dtype"])
        constants.append(_expr.Constant(array.reshape(entry["shape"]).copy()))
    return {"relay.Constant": constants}


def metadata_section(constants):
    """The ``#[metadata]`` section for ``constants`` (NumPy arrays)."""
    entries = [
        {"dtype": str(a.dtype), "shape": list(a.shape),
         "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")}
        for a in constants
    ]
    return "#[metadata]\n" + json.dumps({"relay.Constant": entries})


def _parse_tree(text, start, source_name):
    try:
        return _parser(start).parse(text)
    except LarkError as err:
        raise ParseError(f"{source_name}: cannot parse Relay text: {err}") from None


def _split_metadata(tree):
    children = tree.children
    meta = children[-1] if isinstance(children[-1], Token) and children[-1].type == "METADATA" else None
    return _metadata(meta)


def _metadata_table(tree, init_meta_table):
    """The text's metadata, on top of ``init_meta_table`` (``{section: [node]}``)."""
    table = {key: list(values) for key, values in (init_meta_table or {}).items()}
    table.update(_split_metadata(tree))
    return table


def parse_module(text, source_name="from_string", init_module=None, init_meta_table=None):
    """An ``IRModule`` from Relay text with ``def @name(...) {...}`` definitions."""
    import tvm  # pylint: disable=import-outside-toplevel

    tree = _parse_tree(text, "module", source_name)
    mod = init_module if init_module is not None else tvm.IRModule()
    builder = _Builder(_metadata_table(tree, init_meta_table), mod)
    type_defs = [
        item for item in tree.children
        if isinstance(item, Tree) and item.data in ("type_definition", "extern_type")
    ]
    if type_defs:
        builder.type_definitions(type_defs, mod)
    for item in tree.children:
        if isinstance(item, Tree) and item.data == "definition":
            name, type_params, param_list, ret_type, body = item.children
            if str(name)[1:] in mod:
                raise ParseError(f"{source_name}: global function {name} is defined twice")
            mod[str(name)[1:]] = builder.function(type_params, param_list, ret_type, body, {})
    return mod


def parse_expression(text, source_name="from_string", init_meta_table=None, init_module=None):
    """A Relay expression from text; its free variables are declared with
    ``free_var %x: type;`` (as the printer writes them). Constructors of
    ``init_module``'s type definitions may be used."""
    tree = _parse_tree(text, "expression", source_name)
    builder = _Builder(_metadata_table(tree, init_meta_table), init_module)
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "body")
    return builder.body(body, {})
