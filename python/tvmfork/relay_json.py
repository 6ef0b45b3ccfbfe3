"""``tvm.ir.save_json`` / ``tvm.ir.load_json`` for Relay nodes and modules.

The base serialises FFI objects only; the fork's Relay expressions, types,
attributes and patterns are Python objects with ``__slots__`` (see
:mod:`tvm.relay.expr` for why), and a module's Relay functions are Python
objects boxed in FFI nodes (:mod:`tvm.relay.module`). TVM 0.8 scripts save
Relay programs with ``tvm.ir.save_json`` and read them back with
``tvm.ir.load_json``; :func:`install` (the compat patch ``relay_json``)
wraps both functions so that they do so for Relay values and pass
everything else to the base unchanged.

Format
------
A JSON object whose first key is ``"tvmfork_relay_json"`` (the format
version), then

``root``
    the encoded value saved;
``nodes``
    one entry per distinct Relay object reachable from the root, each
    ``{"cls": "<module>.<class>", "f": {slot: value}}`` (every slot of the
    object, so a loaded node is the saved one field for field, inferred
    types included), ``{"op": name}`` for an operator (loaded as the
    registry's operator of that name), or ``{"module": ...}`` for an
    ``IRModule`` holding Relay functions;
``b64ndarrays``
    the constants' arrays, each a base64 ``.npy`` file.

Values are JSON scalars or tagged objects: ``{"$": i}`` refers to node
``i`` (sharing and variable identity survive the round trip: the same
``Var`` object used twice is loaded as one object), ``{"tuple": [...]}``,
``{"list": [...]}``, ``{"dict": [[k, v], ...]}``, ``{"ndarray": i}``,
``{"enum": cls, "v": int}``, ``{"np": dtype, "v": value}`` and ``{"ffi":
text}`` for a base FFI object inside a Relay node (a ``Span``, an
``EnvFunc``, a TIR expression), saved with the base's own ``save_json``.

Only classes of ``tvm.relay`` are instantiated when loading; the walks
keep an explicit work list, so deep programs (100 000 nested ``let`` s)
need no recursion.

Why not the base's JSON graph format with 0.8's type keys: the base's
reader instantiates FFI types only, so a Relay node would need a
reflection entry per class on the C++ side; this module keeps Relay in
Python, as the rest of the fork does.
"""
import base64
import enum
import functools
import importlib
import io
import json

from . import relay_json_legacy

FORMAT_KEY = "tvmfork_relay_json"
FORMAT_VERSION = 1

_BASE_SAVE = None
_BASE_LOAD = None

# Slots that cache a value derived from the others: not saved.
_CACHE_SLOTS = {"__weakref__", "_tensor"}


@functools.lru_cache(maxsize=None)
def _is_operator_class(cls):
    from tvm.relay.op.op import Op  # pylint: disable=import-outside-toplevel

    return issubclass(cls, Op)


@functools.lru_cache(maxsize=None)
def _class_path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def getattr_slot(obj, name):
    """The value of a slot, None if it was never set."""
    try:
        return object.__getattribute__(obj, name)
    except AttributeError:
        return None


@functools.lru_cache(maxsize=None)
def _slots(cls):
    names = []
    for klass in reversed(cls.__mro__):
        for name in getattr(klass, "__slots__", ()):
            if name not in _CACHE_SLOTS and name not in names:
                names.append(name)
    return names


def _is_relay_object(value):
    """True for an instance of a Python class of ``tvm.relay`` (not an FFI object)."""
    return _is_relay_class(type(value))


def _is_relay_class(cls):
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    # (``isinstance`` is not used: the compat patch ``ir_op_covers_relay_ops``
    # makes a Relay operator an instance of the base's ``Op``)
    return (
        cls.__module__.startswith("tvm.relay.")
        and tvm_ffi.Object not in cls.__mro__
        and not issubclass(cls, list | tuple | dict)
    )


def _is_relay_module(value):
    import tvm  # pylint: disable=import-outside-toplevel

    if not isinstance(value, tvm.ir.IRModule):
        return False
    from tvm.relay import module  # pylint: disable=import-outside-toplevel

    return module.has_relay_functions(value)


def is_relay_value(value):
    """True if :func:`save_json` serialises ``value`` itself (not the base)."""
    if isinstance(value, list | tuple):
        return bool(value) and any(is_relay_value(v) for v in value)
    return _is_relay_object(value) or _is_relay_module(value)


_SCALARS = (type(None), bool, int, float, str)
_KINDS = {}  # class -> how its values are written (see _kind_of)


def _kind_of(cls):
    """How values of ``cls`` are written (computed once per class)."""
    import numpy as np  # pylint: disable=import-outside-toplevel
    import tvm  # pylint: disable=import-outside-toplevel
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    if issubclass(cls, enum.Enum):
        kind = "enum"
    elif issubclass(cls, np.generic):
        kind = "np"
    elif issubclass(cls, np.ndarray):
        kind = "ndarray"
    elif issubclass(cls, tvm.runtime.Tensor):
        kind = "tensor"
    elif issubclass(cls, int | float):
        kind = "number"  # a subclass such as relay.ty.IntDim
    elif issubclass(cls, list | tuple):
        kind = "seq"
    elif issubclass(cls, dict):
        kind = "dict"
    elif issubclass(cls, tvm.ir.IRModule):
        kind = "module"
    elif _is_relay_class(cls):
        kind = "relay"
    elif tvm_ffi.Object in cls.__mro__:
        kind = "ffi"
    else:
        kind = "unknown"
    _KINDS[cls] = kind
    return kind


class _Writer:
    def __init__(self):
        self.index = {}  # id(obj) -> node index
        self.keep = []  # the objects indexed (their ids stay valid)
        self.nodes = []
        self.arrays = []
        self.pending = []

    def ref(self, obj):
        found = self.index.get(id(obj))
        if found is None:
            found = self.index[id(obj)] = len(self.nodes)
            self.nodes.append(None)
            self.keep.append(obj)
            self.pending.append(obj)
        return {"$": found}

    def run(self, root):
        encoded = self.value(root)
        while self.pending:
            obj = self.pending.pop()
            self.nodes[self.index[id(obj)]] = self.node(obj)
        return encoded

    def node(self, obj):
        cls = type(obj)
        if _KINDS.get(cls) == "module":
            return {"module": self.module(obj)}
        if _is_operator_class(cls):
            return {"op": obj.name}
        fields = {}
        value_of = self.value
        for name in _slots(cls):
            value = getattr_slot(obj, name)
            if value is not None:  # a slot left out is loaded as None
                fields[name] = value_of(value)
        return {"cls": _class_path(cls), "f": fields}

    def module(self, mod):
        import tvm  # pylint: disable=import-outside-toplevel
        from tvm.relay import module  # pylint: disable=import-outside-toplevel

        relay_funcs, base_funcs = [], {}
        for gvar, func in module.items(mod):
            if _is_relay_object(func):
                relay_funcs.append([self.value(gvar), self.value(func)])
            else:
                base_funcs[gvar] = func
        types = [self.value(data) for data in module.type_definitions(mod).values()]
        base = _BASE_SAVE(tvm.IRModule(base_funcs)) if base_funcs else None
        return {"functions": relay_funcs, "type_definitions": types, "base": base}

    def value(self, value):  # pylint: disable=too-many-return-statements
        cls = type(value)
        if cls in _SCALARS:
            return value
        kind = _KINDS.get(cls) or _kind_of(cls)
        if kind == "relay":
            return self.ref(value)
        if kind == "number":
            plain = int(value) if isinstance(value, int) else float(value)
            if not _is_relay_class(cls):
                return plain
            return {"num": _class_path(cls), "v": plain}
        if kind == "seq":
            items = [self.value(v) for v in value]
            if cls in (list, tuple):
                return {cls.__name__: items}
            return {"seq": items, "cls": f"{cls.__module__}.{cls.__qualname__}"}
        if kind == "dict":
            return {"dict": [[self.value(k), self.value(v)] for k, v in value.items()]}
        if kind == "enum":
            return {"enum": f"{cls.__module__}.{cls.__qualname__}", "v": value.value}
        if kind == "np":
            return {"np": str(value.dtype), "v": value.item()}
        if kind == "ndarray":
            return {"ndarray": self.array(value)}
        if kind == "tensor":
            return {"ndarray": self.array(value.numpy())}
        if kind == "module" and _is_relay_module(value):
            return self.ref(value)
        if kind in ("ffi", "module"):
            return {"ffi": _BASE_SAVE(value)}
        raise TypeError(
            f"tvm.ir.save_json: cannot serialise a {cls.__module__}.{cls.__qualname__} "
            f"inside a Relay node: {value!r}"
        )

    def array(self, array):
        import numpy as np  # pylint: disable=import-outside-toplevel

        buffer = io.BytesIO()
        np.save(buffer, np.require(array, requirements="C"), allow_pickle=False)
        self.arrays.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
        return len(self.arrays) - 1


@functools.lru_cache(maxsize=None)
def _relay_class(path):
    module_name, _, name = path.rpartition(".")
    if not module_name.startswith("tvm.relay"):
        raise ValueError(f"tvm.ir.load_json: {path!r} is not a Relay class")
    obj = importlib.import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _Reader:
    def __init__(self, data):
        self.data = data
        self.objects = [None] * len(data["nodes"])
        self.arrays = data.get("b64ndarrays", [])

    def run(self):
        from tvm.relay.op import op as relay_op  # pylint: disable=import-outside-toplevel

        nodes = self.data["nodes"]
        # 1. every object exists (fields may refer to any of them) ...
        for i, entry in enumerate(nodes):
            if "op" in entry:
                self.objects[i] = relay_op.get(entry["op"])
            elif "cls" in entry:
                cls = _relay_class(entry["cls"])
                self.objects[i] = cls.__new__(cls)
        # 2. ... then gets its fields; modules last, once their functions are whole.
        for i, entry in enumerate(nodes):
            if "cls" in entry:
                obj = self.objects[i]
                fields = entry["f"]
                for name in _slots_all(type(obj)):
                    # cached values (left out) are recomputed on first use
                    value = fields.get(name)
                    object.__setattr__(obj, name, None if value is None else self.value(value))
        for i, entry in enumerate(nodes):
            if "module" in entry:
                self.objects[i] = self.module(entry["module"])
        return self.value(self.data["root"])

    def module(self, entry):
        import tvm  # pylint: disable=import-outside-toplevel
        from tvm.relay import module  # pylint: disable=import-outside-toplevel

        mod = _BASE_LOAD(entry["base"]) if entry.get("base") else tvm.IRModule()
        for data in entry["type_definitions"]:
            data = self.value(data)
            module.add_def(mod, data.header, data, update=True)
        for gvar, func in entry["functions"]:
            mod[self.value(gvar)] = self.value(func)
        return mod

    def value(self, value):  # pylint: disable=too-many-return-statements
        import numpy as np  # pylint: disable=import-outside-toplevel

        if not isinstance(value, dict):
            return value
        if "$" in value:
            return self.objects[value["$"]]
        if "tuple" in value:
            return tuple(self.value(v) for v in value["tuple"])
        if "list" in value:
            return [self.value(v) for v in value["list"]]
        if "seq" in value:
            return _relay_class(value["cls"])(self.value(v) for v in value["seq"])
        if "dict" in value:
            return {self.value(k): self.value(v) for k, v in value["dict"]}
        if "ndarray" in value:
            array = np.load(io.BytesIO(base64.b64decode(self.arrays[value["ndarray"]])))
            array.setflags(write=False)
            return array
        if "num" in value:
            return _relay_class(value["num"])(value["v"])
        if "enum" in value:
            return _relay_class(value["enum"])(value["v"])
        if "np" in value:
            return np.dtype(value["np"]).type(value["v"])
        if "ffi" in value:
            return _BASE_LOAD(value["ffi"])
        raise ValueError(f"tvm.ir.load_json: unknown value {value!r}")


@functools.lru_cache(maxsize=None)
def _slots_all(cls):
    """Every slot of ``cls`` (``__weakref__`` aside)."""
    return tuple(
        name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())
        if name != "__weakref__"
    )


def save_relay_json(value):
    """The JSON text of a Relay value (expression, type, attrs, pattern, a
    module holding Relay functions, or a list of them)."""
    writer = _Writer()
    root = writer.run(value)
    return json.dumps(
        {
            FORMAT_KEY: FORMAT_VERSION,
            "root": root,
            "nodes": writer.nodes,
            "b64ndarrays": writer.arrays,
        }
    )


def is_relay_json(text):
    """True if ``text`` was written by :func:`save_relay_json`."""
    return isinstance(text, str) and text.lstrip().startswith('{"' + FORMAT_KEY + '"')


def load_relay_json(text):
    """The value saved by :func:`save_relay_json`."""
    data = json.loads(text)
    if data.get(FORMAT_KEY) != FORMAT_VERSION:
        raise ValueError(
            f"tvm.ir.load_json: Relay JSON format {data.get(FORMAT_KEY)!r} is not supported "
            f"(this fork reads version {FORMAT_VERSION})"
        )
    return _Reader(data).run()


def install():
    """Wrap ``tvm.ir.save_json`` / ``tvm.ir.load_json`` (idempotent)."""
    global _BASE_SAVE, _BASE_LOAD  # pylint: disable=global-statement
    import tvm  # pylint: disable=import-outside-toplevel

    if getattr(tvm.ir.save_json, "_tvmfork_patched", False):
        return
    _BASE_SAVE, _BASE_LOAD = tvm.ir.save_json, tvm.ir.load_json

    def save_json(node):
        """Save ``node`` as JSON text: a Relay value in the fork's Relay format
        (:mod:`tvmfork.relay_json`), any other object with the base's."""
        if is_relay_value(node):
            return save_relay_json(node)
        return _BASE_SAVE(node)

    def load_json(json_str):
        """Load a value saved by :func:`save_json`, or by TVM 0.6-0.8's ``save_json``
        (:mod:`tvmfork.relay_json_legacy`)."""
        if is_relay_json(json_str):
            return load_relay_json(json_str)
        if relay_json_legacy.is_legacy_json(json_str):
            return relay_json_legacy.load_legacy_json(json_str)
        return _BASE_LOAD(json_str)

    save_json._tvmfork_patched = True
    load_json._tvmfork_patched = True
    tvm.ir.save_json, tvm.ir.load_json = save_json, load_json
    base_module = getattr(tvm.ir, "base", None)
    if getattr(base_module, "save_json", None) is _BASE_SAVE:
        base_module.save_json, base_module.load_json = save_json, load_json
