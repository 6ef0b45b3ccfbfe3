"""Reading the JSON that TVM 0.6-0.8's ``tvm.ir.save_json`` wrote.

TVM 0.8 users saved Relay programs with ``tvm.ir.save_json(mod)`` (and TVMC
0.8 packed ``tvm.ir.save_json(mod)`` into its model archives). That format is
a node graph::

    {"root": i, "nodes": [{"type_key": ..., "attrs": {field: text},
                           "data": [...], "keys": [...], "repr_str": ...}, ...],
     "b64ndarrays": [...], "attrs": {"tvm_version": "0.8.0"}}

node 0 standing for a null reference. The base reads only its own, newer
format, and the fork's Relay nodes are Python objects (see
:mod:`tvmfork.relay_json`), so this module reads the old graph itself:
Relay expressions, types, patterns, ADTs and modules become the fork's Relay
objects; integer, float, variable and arithmetic TIR nodes become the
base's; attrs become :class:`tvm.relay.attrs.Attrs` with the values the
fork's operators use (tuples, ints, strings, None).

Field values are all strings in this format; whether ``"2"`` is the number 2
or node 2 depends on the field's declared type, given here for every node
class and, for attrs, by :data:`tvmfork.legacy_attr_kinds.ATTR_FIELD_KINDS`.
The renamings of 0.6 and 0.7 (``relay.Var`` naming a ``relay.Id``,
``Variable``, ``StrMap``, ``relay.Op`` with a ``global_key``, names stored as
text before 0.7 and as ``runtime.String`` nodes after) are read as 0.8's
upgrader did. Nodes are built children first from an explicit work list,
so a deep network needs no recursion.

Written by hand, not by the base's reader: that reader instantiates FFI
classes through their reflection, which the fork's Relay classes do not have.
"""
import base64
import importlib
import json
import struct

from .legacy_attr_kinds import ATTR_FIELD_KINDS

__all__ = ["is_legacy_json", "load_legacy_json", "LegacyJSONError"]

REF, NAME, INT, BOOL, FLOAT, STR = "ref", "name", "int", "bool", "float", "str"
SKIP = "skip"  # a node reference to a value the fork does not keep (not read)

_EXPR = {"_checked_type_": REF, "span": REF}
_BINARY = {"a": REF, "b": REF, "dtype": STR, "span": REF}

#: type key (and its 0.6 spellings) -> {field: kind}
NODE_FIELDS = {
    "relay.Var": {"vid": REF, "type_annotation": REF, "name_hint": NAME, **_EXPR},
    "relay.Id": {"name_hint": NAME},
    "GlobalVar": {"name_hint": NAME, **_EXPR},
    "relay.Constant": {"data": INT, **_EXPR},
    "relay.Tuple": {"fields": REF, **_EXPR},
    "relay.Call": {"op": REF, "args": REF, "attrs": REF, "type_args": REF, **_EXPR},
    "relay.Let": {"var": REF, "value": REF, "body": REF, **_EXPR},
    "relay.If": {"cond": REF, "true_branch": REF, "false_branch": REF, **_EXPR},
    "relay.TupleGetItem": {"tuple_value": REF, "index": INT, **_EXPR},
    "relay.RefCreate": {"value": REF, **_EXPR},
    "relay.RefRead": {"ref": REF, **_EXPR},
    "relay.RefWrite": {"ref": REF, "value": REF, **_EXPR},
    "relay.Function": {"params": REF, "body": REF, "ret_type": REF, "type_params": REF,
                       "attrs": REF, **_EXPR},
    "relay.Match": {"data": REF, "clauses": REF, "complete": BOOL, **_EXPR},
    "relay.Clause": {"lhs": REF, "rhs": REF},
    "relay.PatternWildcard": {"span": REF},
    "relay.PatternVar": {"var": REF, "span": REF},
    "relay.PatternConstructor": {"constructor": REF, "patterns": REF, "span": REF},
    "relay.PatternTuple": {"patterns": REF, "span": REF},
    "relay.Constructor": {"name_hint": NAME, "inputs": REF, "belong_to": REF, "tag": INT, **_EXPR},
    "relay.TypeData": {"header": REF, "type_vars": REF, "constructors": REF, "span": REF},
    "relay.TensorType": {"shape": REF, "dtype": STR, "span": REF},
    "TupleType": {"fields": REF, "span": REF},
    "FuncType": {"arg_types": REF, "ret_type": REF, "type_params": REF, "type_constraints": REF,
                 "span": REF},
    # 0.6 stored the name in a TIR variable ("var")
    "TypeVar": {"name_hint": NAME, "var": REF, "kind": INT, "span": REF},
    "GlobalTypeVar": {"name_hint": NAME, "var": REF, "kind": INT, "span": REF},
    "IncompleteType": {"kind": INT, "span": REF},
    "TypeCall": {"func": REF, "args": REF, "span": REF},
    "relay.RefType": {"value": REF, "span": REF},
    # the name maps repeat the functions' and types' keys; the source map is not kept
    "IRModule": {"functions": REF, "type_definitions": REF, "global_var_map_": SKIP,
                 "global_type_var_map_": SKIP, "source_map": SKIP, "attrs": REF},
    "DictAttrs": {"__dict__": REF},
    "IntImm": {"dtype": STR, "value": INT, "span": REF},
    "FloatImm": {"dtype": STR, "value": FLOAT, "span": REF},
    "tir.StringImm": {"value": STR, "span": REF},
    "tir.Var": {"dtype": STR, "name": NAME, "type_annotation": REF, "span": REF},
    "tir.SizeVar": {"dtype": STR, "name": NAME, "type_annotation": REF, "span": REF},
    "tir.Any": {"span": REF},
    "tir.Cast": {"dtype": STR, "value": REF, "span": REF},
    "tir.Not": {"a": REF, "dtype": STR, "span": REF},
    "tir.Select": {"condition": REF, "true_value": REF, "false_value": REF, "dtype": STR,
                   "span": REF},
    "Range": {"min": REF, "extent": REF, "span": REF},
    "Span": {"source_name": REF, "line": INT, "column": INT, "end_line": INT, "end_column": INT},
    "SourceName": {"name": NAME},
}
_ARITHMETIC = ("Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Min", "Max",
               "EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or")
NODE_FIELDS.update({"tir." + name: _BINARY for name in _ARITHMETIC})

#: older spellings of a type key
_ALIASES = {
    "relay.GlobalVar": "GlobalVar",
    "relay.TypeVar": "TypeVar",
    "relay.GlobalTypeVar": "GlobalTypeVar",
    "relay.IncompleteType": "IncompleteType",
    "relay.FuncType": "FuncType",
    "relay.TupleType": "TupleType",
    "relay.TypeCall": "TypeCall",
    "TensorType": "relay.TensorType",
    "relay.Module": "IRModule",
    "Variable": "tir.Var",
    "SizeVar": "tir.SizeVar",
    "relay.Any": "tir.Any",
    "Any": "tir.Any",
    "StringImm": "tir.StringImm",
    "Cast": "tir.Cast",
    "Not": "tir.Not",
    "Select": "tir.Select",
    "relay.Op": "Op",
    "StrMap": "Map",
    "relay.SourceName": "SourceName",
    "relay.Span": "Span",
    **{name: "tir." + name for name in _ARITHMETIC},
}

#: node type -> (constructor, its arguments in order): a field name, ``*name`` for a
#: sequence field (None read as empty), ``=value`` for a constant argument
_CONSTRUCTORS = {
    "relay.Tuple": ("tvm.relay:Tuple", "*fields"),
    "relay.Let": ("tvm.relay:Let", "var", "value", "body"),
    "relay.If": ("tvm.relay:If", "cond", "true_branch", "false_branch"),
    "relay.TupleGetItem": ("tvm.relay:TupleGetItem", "tuple_value", "index"),
    "relay.RefCreate": ("tvm.relay:RefCreate", "value"),
    "relay.RefRead": ("tvm.relay:RefRead", "ref"),
    "relay.RefWrite": ("tvm.relay:RefWrite", "ref", "value"),
    "relay.Clause": ("tvm.relay:Clause", "lhs", "rhs"),
    "relay.PatternWildcard": ("tvm.relay:PatternWildcard",),
    "relay.PatternVar": ("tvm.relay:PatternVar", "var"),
    "relay.PatternConstructor": ("tvm.relay:PatternConstructor", "constructor", "*patterns"),
    "relay.PatternTuple": ("tvm.relay:PatternTuple", "*patterns"),
    "relay.TypeData": ("tvm.relay:TypeData", "header", "*type_vars", "*constructors"),
    "relay.TensorType": ("tvm.relay:TensorType", "*shape", "dtype"),
    "TupleType": ("tvm.relay:TupleType", "*fields"),
    "FuncType": ("tvm.relay:FuncType", "*arg_types", "ret_type", "*type_params",
                 "*type_constraints"),
    "TypeCall": ("tvm.relay:TypeCall", "func", "*args"),
    "relay.RefType": ("tvm.relay:RefType", "value"),
    "IntImm": ("tvm.tirx:IntImm", "dtype", "value"),
    "FloatImm": ("tvm.tirx:FloatImm", "dtype", "value"),
    "tir.StringImm": ("tvm.ir:StringImm", "value"),
    "tir.Cast": ("tvm.tirx:Cast", "dtype", "value"),
    "tir.Not": ("tvm.tirx:Not", "a"),
    "tir.Select": ("tvm.tirx:Select", "condition", "true_value", "false_value"),
    **{"tir." + name: ("tvm.tirx:" + name, "a", "b") for name in _ARITHMETIC},
}

_NDARRAY_LIST_MAGIC = 0xF7E58D4F05049CB7


class LegacyJSONError(ValueError):
    """A TVM 0.6-0.8 JSON graph that this fork cannot read, naming the node."""


def is_legacy_json(text):
    """True if ``text`` looks like a node graph written by TVM 0.6-0.8."""
    if not isinstance(text, str) or '"type_key"' not in text[:4096]:
        return False
    start = text.lstrip()[:1]
    return start == "{"


def _version(data):
    text = str(data.get("attrs", {}).get("tvm_version", "0.8.0"))
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts + [0] * (2 - len(parts)))


def _ndarray(blob):
    """A ``tvm.runtime.Tensor`` from the runtime's binary serialisation of one array
    (read by wrapping it in the parameter-list container the runtime loads)."""
    import tvm.runtime  # pylint: disable=import-outside-toplevel

    container = struct.pack("<QQQQ1sQ", _NDARRAY_LIST_MAGIC, 0, 1, 1, b"x", 1) + blob
    return tvm.runtime.load_param_dict(bytearray(container))["x"]


class _Reader:  # pylint: disable=too-many-instance-attributes
    def __init__(self, data):
        self.nodes = data["nodes"]
        self.arrays = data.get("b64ndarrays", [])
        self.names_are_nodes = _version(data) >= (0, 7)
        self.built = {0: None}

    # -- the graph -------------------------------------------------------------

    def key(self, index):
        node = self.nodes[index]
        key = node.get("type_key", "")
        return _ALIASES.get(key, key)

    def kinds(self, index):
        key = self.key(index)
        if key.startswith("relay.attrs."):
            kinds = ATTR_FIELD_KINDS.get(key[len("relay.attrs."):])
            if kinds is None:
                raise LegacyJSONError(
                    f"tvm.ir.load_json: node {index} is an attrs class this fork does not know "
                    f"({key}), so its fields cannot be read")
            return kinds
        return NODE_FIELDS.get(key, {})

    def field_ref(self, index, name, kind):
        """The node index a field refers to, or None when it holds a value."""
        text = self.nodes[index].get("attrs", {}).get(name)
        if text is None or kind not in (REF, NAME):
            return None
        if kind == NAME and not self.names_are_nodes:
            return None
        try:
            ref = int(text)
        except ValueError:
            return None
        if kind == NAME and (not 0 < ref < len(self.nodes)
                             or self.nodes[ref].get("type_key") != "runtime.String"):
            return None
        return ref

    def children(self, index):
        node = self.nodes[index]
        refs = list(node.get("data", ())) if self.key(index) in ("Array", "Map") else []
        for name, kind in self.kinds(index).items():
            ref = self.field_ref(index, name, kind)
            if ref is not None:
                refs.append(ref)
        return refs

    def run(self, root):
        stack = [(root, False)]
        while stack:
            index, expanded = stack.pop()
            if index in self.built:
                continue
            if not 0 <= index < len(self.nodes):
                raise LegacyJSONError(f"tvm.ir.load_json: reference to node {index}, but the "
                                      f"graph has {len(self.nodes)} nodes")
            if expanded:
                self.built[index] = self.build(index)
                continue
            stack.append((index, True))
            stack.extend((child, False) for child in self.children(index)
                         if child not in self.built)
        return self.built[root]

    # -- field values ----------------------------------------------------------

    def field(self, index, name, default=None):
        kind = self.kinds(index).get(name, STR)
        attrs = self.nodes[index].get("attrs", {})
        if name not in attrs:
            return default
        ref = self.field_ref(index, name, kind)
        if ref is not None:
            return self.built[ref]
        text = attrs[name]
        if kind == REF:
            raise LegacyJSONError(f"tvm.ir.load_json: field {name!r} of node {index} "
                                  f"({self.nodes[index].get('type_key')}) is {text!r}, "
                                  f"not a node reference")
        if kind == INT:
            return int(text)
        if kind == BOOL:
            return bool(int(text))
        if kind == FLOAT:
            return float(text)
        return text

    def seq(self, index, name):
        value = self.field(index, name)
        return [] if value is None else list(value)

    # -- node builders -----------------------------------------------------------

    def build(self, index):  # pylint: disable=too-many-return-statements,too-many-branches
        node, key = self.nodes[index], self.key(index)
        if key == "":
            return None
        if key == "Array":
            return [self.built[i] for i in node.get("data", ())]
        if key == "Map":
            data = [self.built[i] for i in node.get("data", ())]
            if "keys" in node:
                return dict(zip(node["keys"], data))
            return dict(zip(data[0::2], data[1::2]))
        if key == "runtime.String":
            return node.get("repr_str", base64.b64decode(node.get("repr_b64", "")).decode())
        if key == "Op":
            from tvm.relay import op as relay_op  # pylint: disable=import-outside-toplevel

            return relay_op.get(node.get("repr_str") or node.get("global_key"))
        if key.startswith("relay.attrs."):
            return self.attrs(index, key)
        builder = getattr(self, "build_" + key.replace(".", "_"), None)
        if builder is None and key in _CONSTRUCTORS:
            builder = self.construct
        if builder is None:
            raise LegacyJSONError(f"tvm.ir.load_json: node {index} has type {key!r}, which this "
                                  f"fork cannot read from TVM 0.8 JSON")
        value = builder(index)
        checked = self.field(index, "_checked_type_") if "_checked_type_" in self.kinds(index) else None
        if checked is not None:
            object.__setattr__(value, "_checked_type_", checked)
        return value

    def construct(self, index):
        """A node built by its :data:`_CONSTRUCTORS` entry."""
        path, *arguments = _CONSTRUCTORS[self.key(index)]
        module_name, name = path.split(":")
        values = []
        for argument in arguments:
            if argument.startswith("*"):
                values.append(self.seq(index, argument[1:]))
            else:
                values.append(self.field(index, argument))
        return getattr(importlib.import_module(module_name), name)(*values)

    def attrs(self, index, key):
        from tvm.relay.attrs import Attrs  # pylint: disable=import-outside-toplevel

        fields = {}
        for name in self.nodes[index].get("attrs", {}):
            value = _attr_value(self.field(index, name))
            if name == "auto_scheduler_rewritten_layout" and not value:
                continue  # a field of 0.8's auto-scheduler that this fork does not model
            fields[name] = value
        return Attrs(key, fields)

    def build_DictAttrs(self, index):
        from tvm.relay.attrs import DictAttrs  # pylint: disable=import-outside-toplevel

        return DictAttrs({k: _attr_value(v) for k, v in (self.field(index, "__dict__") or {}).items()})

    def name(self, index, field="name_hint"):
        value = self.field(index, field)
        return "" if value is None else str(value)

    def build_relay_Id(self, index):
        return self.name(index)

    def build_relay_Var(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        vid = self.field(index, "vid")
        name = vid if vid is not None else self.name(index)
        return relay.Var(name, self.field(index, "type_annotation"))

    def build_GlobalVar(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.GlobalVar(self.name(index))

    def build_relay_Constant(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        slot = self.field(index, "data")
        if not 0 <= slot < len(self.arrays):
            raise LegacyJSONError(f"tvm.ir.load_json: constant node {index} refers to array "
                                  f"{slot}, but the file has {len(self.arrays)}")
        return relay.Constant(_ndarray(base64.b64decode(self.arrays[slot])))

    def build_relay_Call(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        attrs = self.field(index, "attrs")
        return relay.Call(self.field(index, "op"), self.seq(index, "args"), attrs,
                          self.seq(index, "type_args") or None)

    def build_relay_Function(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        attrs = self.field(index, "attrs")
        return relay.Function(self.seq(index, "params"), self.field(index, "body"),
                              self.field(index, "ret_type"), self.seq(index, "type_params"),
                              attrs if attrs else None)

    def build_relay_Match(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.Match(self.field(index, "data"), self.seq(index, "clauses"),
                           self.field(index, "complete", True))

    def build_relay_Constructor(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.Constructor(self.name(index), self.seq(index, "inputs"),
                                 self.field(index, "belong_to"))

    def type_var_name(self, index):
        var = self.field(index, "var")  # 0.6: a TIR variable holds the name
        return str(var.name) if var is not None else self.name(index)

    def build_TypeVar(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.TypeVar(self.type_var_name(index),
                             relay.ty.TypeKind(self.field(index, "kind", 0)))

    def build_GlobalTypeVar(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.GlobalTypeVar(self.type_var_name(index),
                                   relay.ty.TypeKind(self.field(index, "kind", 5)))

    def build_IncompleteType(self, index):
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.IncompleteType(relay.ty.TypeKind(self.field(index, "kind", 0)))

    def build_IRModule(self, index):
        import tvm  # pylint: disable=import-outside-toplevel
        from tvm.relay import module  # pylint: disable=import-outside-toplevel

        mod = tvm.IRModule()
        for gvar, data in (self.field(index, "type_definitions") or {}).items():
            module.add_def(mod, gvar, data, update=True)
        for gvar, func in (self.field(index, "functions") or {}).items():
            mod[gvar] = func
        return mod

    def build_tir_Var(self, index):
        import tvm  # pylint: disable=import-outside-toplevel

        return tvm.tirx.Var(self.name(index, "name"), self.field(index, "dtype"))

    build_tir_SizeVar = build_tir_Var  # the base has no SizeVar: a plain variable

    def build_tir_Any(self, index):  # pylint: disable=unused-argument
        from tvm import relay  # pylint: disable=import-outside-toplevel

        return relay.Any()

    def build_Range(self, index):
        import tvm  # pylint: disable=import-outside-toplevel

        start, extent = self.field(index, "min"), self.field(index, "extent")
        return tvm.ir.Range.from_min_extent(start, extent)

    def build_SourceName(self, index):
        import tvm  # pylint: disable=import-outside-toplevel

        return tvm.ir.SourceName(self.name(index, "name"))

    def build_Span(self, index):
        import tvm  # pylint: disable=import-outside-toplevel

        source = self.field(index, "source_name")
        return tvm.ir.Span(source, self.field(index, "line", 0), self.field(index, "column", 0),
                           self.field(index, "end_line", 0), self.field(index, "end_column", 0))



def _attr_value(value):
    """An attribute value as the fork's operators hold it: ints for ``IntImm``,
    floats for ``FloatImm``, tuples for arrays (see :class:`tvm.relay.attrs.Attrs`)."""
    if isinstance(value, list):
        return tuple(_attr_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _attr_value(v) for k, v in value.items()}
    type_name = type(value).__name__
    if type_name == "IntImm":
        return int(value.value)
    if type_name == "FloatImm":
        return float(value.value)
    return value


def load_legacy_json(text):
    """The value of a JSON graph written by TVM 0.6-0.8's ``tvm.ir.save_json``.

    Raises
    ------
    LegacyJSONError
        A node of a type (or attrs class) this fork cannot read, or a broken
        reference; the message names the node.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or "root" not in data or "nodes" not in data:
        raise LegacyJSONError("tvm.ir.load_json: not a TVM node graph (no 'root' and 'nodes')")
    value = _Reader(data).run(int(data["root"]))
    if isinstance(value, (list, dict)):  # an Array or Map at the root: the base's container
        import tvm.runtime  # pylint: disable=import-outside-toplevel

        try:
            return tvm.runtime.convert(value)
        except (TypeError, ValueError):
            return value
    return value
