"""tvm.ir.load_json of node graphs written by TVM 0.6-0.8 (tvmfork.relay_json_legacy).

The graphs are written here by hand in 0.8's format: every field a string,
node 0 the null reference, object fields as node indices, arrays in
``b64ndarrays`` in the runtime's binary array format.
"""
import base64
import json
import struct

import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.contrib import graph_executor
from tvmfork.relay_json_legacy import LegacyJSONError

_NDARRAY_MAGIC = 0xDD5E40F096B4A13F


def _array_blob(array):
    """One array in the runtime's serialisation: header, CPU device, dtype, shape, bytes."""
    array = np.ascontiguousarray(array, dtype="float32")
    head = struct.pack("<QQiiiBBH", _NDARRAY_MAGIC, 0, 1, 0, array.ndim, 2, 32, 1)
    shape = struct.pack(f"<{array.ndim}q", *array.shape)
    data = array.tobytes()
    return base64.b64encode(head + shape + struct.pack("<q", len(data)) + data).decode()


class Graph:
    """Builds a 0.8 node graph: ``add`` returns the new node's index as a string."""

    def __init__(self, version="0.8.0"):
        self.nodes = [{"type_key": ""}]
        self.arrays = []
        self.version = version

    def add(self, type_key, attrs=None, **extra):
        node = {"type_key": type_key, **extra}
        if attrs is not None:
            node["attrs"] = {k: str(v) for k, v in attrs.items()}
        self.nodes.append(node)
        return str(len(self.nodes) - 1)

    def string(self, text):
        return self.add("runtime.String", repr_str=text)

    def ints(self, values, dtype="int32"):
        return self.add("Array", data=[int(self.add("IntImm", {"dtype": dtype, "value": v, "span": 0}))
                                       for v in values])

    def array(self, refs):
        return self.add("Array", data=[int(r) for r in refs])

    def tensor_type(self, shape, dtype="float32"):
        return self.add("relay.TensorType", {"shape": self.ints(shape, "int64"), "dtype": dtype,
                                             "span": 0})

    def var(self, name, ty):
        vid = self.add("relay.Id", {"name_hint": self.string(name)})
        return self.add("relay.Var", {"vid": vid, "type_annotation": ty, "span": 0,
                                      "_checked_type_": 0})

    def constant(self, array):
        self.arrays.append(_array_blob(array))
        return self.add("relay.Constant", {"data": len(self.arrays) - 1, "span": 0,
                                           "_checked_type_": 0})

    def call(self, op_name, args, attrs="0"):
        op = self.add("Op", repr_str=op_name)
        return self.add("relay.Call", {"op": op, "args": self.array(args), "attrs": attrs,
                                       "type_args": self.array([]), "span": 0, "_checked_type_": 0})

    def text(self, root):
        return json.dumps({"root": int(root), "nodes": self.nodes, "b64ndarrays": self.arrays,
                           "attrs": {"tvm_version": self.version}})


def _conv_relu_module(weight, bias):
    """main(x) = relu(bias_add(conv2d(x, W, padding 1, 3x3), b)) as TVM 0.8 saved it."""
    g = Graph()
    x = g.var("x", g.tensor_type((1, 3, 8, 8)))
    conv_attrs = g.add("relay.attrs.Conv2DAttrs", {
        "strides": g.ints((1, 1)), "padding": g.ints((1, 1, 1, 1)), "dilation": g.ints((1, 1)),
        "groups": 1, "channels": g.add("IntImm", {"dtype": "int32", "value": 4, "span": 0}),
        "kernel_size": g.ints((3, 3)), "data_layout": g.string("NCHW"),
        "kernel_layout": g.string("OIHW"), "out_layout": g.string(""), "out_dtype": "",
        "auto_scheduler_rewritten_layout": g.string("")})
    conv = g.call("nn.conv2d", [x, g.constant(weight)], conv_attrs)
    bias_attrs = g.add("relay.attrs.BiasAddAttrs", {"axis": 1})
    biased = g.call("nn.bias_add", [conv, g.constant(bias)], bias_attrs)
    body = g.call("nn.relu", [biased])
    func = g.add("relay.Function", {"params": g.array([x]), "body": body, "ret_type": 0,
                                    "type_params": g.array([]), "attrs": 0, "span": 0,
                                    "_checked_type_": 0})
    main = g.add("GlobalVar", {"name_hint": g.string("main"), "span": 0, "_checked_type_": 0})
    functions = g.add("Map", data=[int(main), int(func)])
    name_map = g.add("Map", keys=["main"], data=[int(main)])
    source_map = g.add("SourceMap", {"source_map": g.add("Map")})
    mod = g.add("IRModule", {"functions": functions, "type_definitions": g.add("Map"),
                             "global_var_map_": name_map, "global_type_var_map_": g.add("Map"),
                             "source_map": source_map, "attrs": 0})
    return g.text(mod)


def _reference(x, weight, bias):
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((1, weight.shape[0], 8, 8), "float32")
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", padded[:, :, i:i + 8, j:j + 8], weight[:, :, i, j])
    return np.maximum(out + bias[None, :, None, None], 0)


def test_a_module_saved_by_08_builds_and_matches_numpy():
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((4, 3, 3, 3)).astype("float32")
    bias = rng.standard_normal(4).astype("float32")
    mod = tvm.ir.load_json(_conv_relu_module(weight, bias))
    assert isinstance(mod, tvm.IRModule)
    conv = mod["main"].body.args[0].args[0]
    assert conv.op.name == "nn.conv2d"
    assert conv.attrs.padding == (1, 1, 1, 1) and conv.attrs.channels == 4
    assert conv.attrs.data_layout == "NCHW" and conv.attrs.out_dtype == ""
    assert "auto_scheduler_rewritten_layout" not in conv.attrs
    np.testing.assert_array_equal(conv.args[1].data.numpy(), weight)
    x = rng.standard_normal((1, 3, 8, 8)).astype("float32")
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    module.set_input("x", x)
    module.run()
    np.testing.assert_allclose(module.get_output(0).numpy(), _reference(x, weight, bias),
                               rtol=1e-5, atol=1e-5)


def test_the_loaded_module_prints_like_one_built_in_the_fork():
    weight, bias = np.ones((4, 3, 3, 3), "float32"), np.zeros(4, "float32")
    loaded = relay.transform.InferType()(tvm.ir.load_json(_conv_relu_module(weight, bias)))
    x = relay.var("x", shape=(1, 3, 8, 8))
    conv = relay.nn.conv2d(x, relay.const(weight), padding=(1, 1), channels=4, kernel_size=(3, 3))
    body = relay.nn.relu(relay.nn.bias_add(conv, relay.const(bias)))
    built = relay.transform.InferType()(tvm.IRModule.from_expr(relay.Function([x], body)))
    tvm.ir.assert_structural_equal(loaded["main"], built["main"], map_free_vars=True)


def test_06_spellings():
    g = Graph("0.6.0")
    name = g.add("Variable", {"dtype": "int32", "name": "t"})
    type_var = g.add("relay.TypeVar", {"kind": 0, "span": 0, "var": name})
    shape = g.array([g.add("IntImm", {"dtype": "int32", "value": 2})])
    ty = g.add("relay.TensorType", {"dtype": "float32", "shape": shape, "span": 0})
    vid = g.add("relay.Id", {"name_hint": "a"})
    var = g.add("relay.Var", {"vid": vid, "type_annotation": ty, "span": 0,
                              "_checked_type_": 0})
    op = g.add("relay.Op", global_key="nn.relu")
    str_map = g.add("StrMap", keys=["k"], data=[int(g.add("IntImm", {"dtype": "int32",
                                                                      "value": 7}))])
    root = g.array([type_var, var, op, str_map])
    type_var, var, op, str_map = tvm.ir.load_json(g.text(root))
    assert isinstance(type_var, relay.TypeVar) and type_var.name_hint == "t"
    assert isinstance(var, relay.Var) and var.name_hint == "a"
    assert [int(d) for d in var.type_annotation.shape] == [2]
    assert op == relay.op.get("nn.relu")
    assert int(str_map["k"]) == 7


def test_a_saved_checked_type_is_kept():
    g = Graph()
    ty = g.tensor_type((3,))
    vid = g.add("relay.Id", {"name_hint": g.string("y")})
    var = g.add("relay.Var", {"vid": vid, "type_annotation": ty, "span": 0,
                              "_checked_type_": ty})
    loaded = tvm.ir.load_json(g.text(var))
    assert [int(d) for d in loaded.checked_type.shape] == [3]


def test_a_long_let_chain_loads_without_recursion():
    g = Graph()
    ty = g.tensor_type((1,))
    x = g.var("x", ty)
    body = x
    lets = []
    for i in range(3000):
        v = g.var(f"v{i}", ty)
        lets.append((v, g.call("negative", [body])))
        body = v
    for v, value in reversed(lets):
        body = g.add("relay.Let", {"var": v, "value": value, "body": body, "span": 0,
                                   "_checked_type_": 0})
    func = g.add("relay.Function", {"params": g.array([x]), "body": body, "ret_type": 0,
                                    "type_params": g.array([]), "attrs": 0, "span": 0})
    loaded = tvm.ir.load_json(g.text(func))
    depth, node = 0, loaded.body
    while isinstance(node, relay.Let):
        depth, node = depth + 1, node.body
    assert depth == 3000


def test_an_unknown_attrs_class_names_the_node():
    g = Graph()
    attrs = g.add("relay.attrs.MadeUpAttrs", {"axis": 1})
    with pytest.raises(LegacyJSONError, match=r"node 1 .*relay\.attrs\.MadeUpAttrs"):
        tvm.ir.load_json(g.text(attrs))


def test_a_constant_without_its_array_is_an_error():
    g = Graph()
    const = g.add("relay.Constant", {"data": 3, "span": 0, "_checked_type_": 0})
    with pytest.raises(LegacyJSONError, match="constant node 1 refers to array 3"):
        tvm.ir.load_json(g.text(const))


def test_a_reference_past_the_graph_is_an_error():
    g = Graph()
    call = g.add("relay.Tuple", {"fields": 40, "span": 0, "_checked_type_": 0})
    with pytest.raises(LegacyJSONError, match="reference to node 40"):
        tvm.ir.load_json(g.text(call))


def test_ir_names_cover_the_relay_classes():
    assert isinstance(relay.GlobalVar("f"), tvm.ir.GlobalVar)
    assert isinstance(tvm.ir.GlobalVar("f"), tvm.ir.GlobalVar)  # the base's own still are
    assert isinstance(relay.FuncType([], relay.TupleType([])), tvm.ir.FuncType)
    assert isinstance(relay.TupleType([]), tvm.ir.TupleType)
    assert isinstance(relay.TensorType((1,)), tvm.ir.Type)
    assert not isinstance(relay.var("x"), tvm.ir.Type)
    assert tvm.ir.TypeVar is relay.TypeVar and tvm.ir.RelayRefType is relay.RefType
    assert isinstance(tvm.runtime.convert({"a": 1}), tvm.ir.container.Map)


def test_tir_expressions_and_runtime_dimensions():
    """0.6's ``Variable`` and ``Add`` as a TIR expression; a run-time dimension in a shape
    (the fork's tensor types hold a symbolic size as ``Any``, as they do when built)."""
    g = Graph("0.6.0")
    n = g.add("Variable", {"dtype": "int32", "name": "n"})
    two = g.add("IntImm", {"dtype": "int32", "value": 2})
    total = g.add("Add", {"a": n, "b": two, "dtype": "int32"})
    shape = g.array([g.add("IntImm", {"dtype": "int64", "value": 3}), g.add("Any")])
    ty = g.add("relay.TensorType", {"dtype": "float32", "shape": shape, "span": 0})
    loaded_total, loaded_ty = tvm.ir.load_json(g.text(g.array([total, ty])))
    assert str(loaded_total) == "n + 2"
    first, second = loaded_ty.shape
    assert int(first) == 3 and isinstance(second, relay.Any)
