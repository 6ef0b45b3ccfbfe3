"""ONNX Loop and Scan (unrolled) and If (folded) against ONNX Runtime."""
import numpy as np
import pytest
from onnx import TensorProto, helper

import tvm
from tvm.relay.frontend import from_onnx

from onnx_testing import make_model, verify

RNG = np.random.default_rng(5)
F = TensorProto.FLOAT


def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _loop_body(with_scan=True, stop_after=None):
    """Body: x <- tanh(x * w + iter), with ``w`` read from the outer graph; the scan output
    is x * 2. With ``stop_after``, the condition becomes false once iter >= stop_after."""
    nodes = [
        helper.make_node("Cast", ["iter"], ["iter_f"], to=F),
        helper.make_node("Mul", ["x_in", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "iter_f"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["x_out"]),
        helper.make_node("Add", ["x_out", "x_out"], ["scan"]),
    ]
    if stop_after is None:
        nodes.append(helper.make_node("Identity", ["cond_in"], ["cond_out"]))
    else:
        nodes += [helper.make_node("Constant", [], ["limit"], value=helper.make_tensor(
                      "limit", TensorProto.INT64, [], [stop_after])),
                  helper.make_node("Less", ["iter", "limit"], ["cond_out"])]
    outputs = [_vi("cond_out", TensorProto.BOOL, []), _vi("x_out", F, [2, 3])]
    if with_scan:
        outputs.append(_vi("scan", F, [2, 3]))
    return helper.make_graph(
        nodes, "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
                        _vi("x_in", F, [2, 3])], outputs)


@pytest.mark.parametrize("trip,cond,stop_after,with_scan", [
    (4, True, None, True),      # for loop with a scan output
    (3, None, None, False),     # no condition input: the body's condition is ignored
    (10, True, 2, True),        # stops early on a condition that folds at each iteration
    (None, True, 4, True),      # while loop: no trip count
    (5, False, None, False),    # initial condition false: no iteration
])
def test_loop(trip, cond, stop_after, with_scan):
    x = RNG.standard_normal((2, 3)).astype("float32")
    inits = {"w": RNG.standard_normal((2, 3)).astype("float32")}
    names = ["", "", "x0"]
    if trip is not None:
        inits["trip"] = np.array(trip, "int64")
        names[0] = "trip"
    if cond is not None:
        inits["cond"] = np.array(cond, "bool")
        names[1] = "cond"
    outputs = ["x_final"] + (["scans"] if with_scan else [])
    node = helper.make_node("Loop", names, outputs,
                            body=_loop_body(with_scan, stop_after))
    verify(make_model([node], {"x0": x}, inits, outputs=outputs, opset=13), {"x0": x})


def test_loop_trip_count_from_shape():
    """A trip count computed from a static shape (Shape -> Gather) folds."""
    x = RNG.standard_normal((2, 3)).astype("float32")
    nodes = [helper.make_node("Shape", ["x0"], ["shape"]),
             helper.make_node("Gather", ["shape", "one"], ["trip"], axis=0),
             helper.make_node("Loop", ["trip", "", "x0"], ["x_final", "scans"],
                              body=_loop_body())]
    inits = {"w": RNG.standard_normal((2, 3)).astype("float32"), "one": np.array(1, "int64")}
    verify(make_model(nodes, {"x0": x}, inits, outputs=["x_final", "scans"], opset=13),
           {"x0": x})


def test_loop_with_runtime_condition_is_refused():
    body = helper.make_graph(
        [helper.make_node("ReduceSum", ["x_in"], ["s"], keepdims=0),
         helper.make_node("Greater", ["s", "zero"], ["cond_out"]),
         helper.make_node("Neg", ["x_in"], ["x_out"])],
        "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
                 _vi("x_in", F, [2, 3])],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("x_out", F, [2, 3])],
        [helper.make_tensor("zero", F, [], [0.0])])
    node = helper.make_node("Loop", ["trip", "cond", "x0"], ["x_final"], body=body)
    model = make_model([node], {"x0": np.ones((2, 3), "float32")},
                       {"trip": np.array(3, "int64"), "cond": np.array(True)},
                       outputs=["x_final"], opset=13)
    with pytest.raises(tvm.error.OpAttributeUnImplemented, match="condition computed at run"):
        from_onnx(model)


def _scan_body():
    """state <- state + x_t * 2; output: state * x_t."""
    return helper.make_graph(
        [helper.make_node("Add", ["x_t", "x_t"], ["x2"]),
         helper.make_node("Add", ["s_in", "x2"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "x_t"], ["y_t"]),
         helper.make_node("Neg", ["x_t"], ["z_t"])],
        "scan_body", [_vi("s_in", F, [3]), _vi("x_t", F, [3])],
        [_vi("s_out", F, [3]), _vi("y_t", F, [3]), _vi("z_t", F, [3])])


@pytest.mark.parametrize("in_axis,in_dir,out_axes,out_dirs", [
    (0, 0, [0, 0], [0, 0]),
    (1, 1, [1, -1], [1, 0]),
])
def test_scan(in_axis, in_dir, out_axes, out_dirs):
    xs = RNG.standard_normal((4, 3) if in_axis == 0 else (3, 4)).astype("float32")
    s0 = RNG.standard_normal(3).astype("float32")
    node = helper.make_node("Scan", ["s0", "xs"], ["s_final", "ys", "zs"], num_scan_inputs=1,
                            body=_scan_body(), scan_input_axes=[in_axis],
                            scan_input_directions=[in_dir], scan_output_axes=out_axes,
                            scan_output_directions=out_dirs)
    feeds = {"s0": s0, "xs": xs}
    verify(make_model([node], feeds, outputs=["s_final", "ys", "zs"], opset=16), feeds)


def _if_model(cond_init):
    then_graph = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["t"])], "then", [],
                                   [_vi("t", F, [2, 3])])
    else_graph = helper.make_graph([helper.make_node("Sub", ["x", "w"], ["e"])], "else", [],
                                   [_vi("e", F, [2, 3])])
    feeds = {"x": RNG.standard_normal((2, 3)).astype("float32")}
    inits = {"w": RNG.standard_normal((2, 3)).astype("float32")}
    nodes = [helper.make_node("If", ["cond"], ["y"], then_branch=then_graph,
                              else_branch=else_graph)]
    if cond_init is None:  # a condition computed at run time
        nodes.insert(0, helper.make_node("ReduceMax", ["x"], ["m"], keepdims=0))
        nodes.insert(1, helper.make_node("Greater", ["m", "zero"], ["cond"]))
        inits["zero"] = np.array(0.0, "float32")
    else:
        inits["cond"] = np.array(cond_init)
    return make_model(nodes, feeds, inits, opset=13), feeds


@pytest.mark.parametrize("cond", [True, False])
def test_if_constant_condition(cond):
    model, feeds = _if_model(cond)
    verify(model, feeds)


def test_if_condition_from_static_shape():
    """If (Shape(x)[0] == 2): exporters produce such conditions; they fold."""
    then_graph = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [],
                                   [_vi("t", F, [2, 3])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                                   [_vi("e", F, [2, 3])])
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["rows"], axis=0),
             helper.make_node("Equal", ["rows", "two"], ["cond"]),
             helper.make_node("If", ["cond"], ["y"], then_branch=then_graph,
                              else_branch=else_graph)]
    feeds = {"x": RNG.standard_normal((2, 3)).astype("float32")}
    verify(make_model(nodes, feeds, {"zero": np.array(0, "int64"), "two": np.array(2, "int64")},
                      opset=13), feeds)


def test_if_runtime_condition_is_refused():
    model, _ = _if_model(None)
    with pytest.raises(tvm.error.OpNotImplemented, match="condition is computed at run time"):
        from_onnx(model)


def test_unsupported_op_inside_a_body_is_listed():
    then_graph = helper.make_graph([helper.make_node("Hardmax2", ["x"], ["t"])], "then", [],
                                   [_vi("t", F, [2, 3])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                                   [_vi("e", F, [2, 3])])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_graph,
                            else_branch=else_graph)
    graph = helper.make_graph([node], "g", [_vi("x", F, [2, 3])], [_vi("y", F, [2, 3])],
                              [helper.make_tensor("cond", TensorProto.BOOL, [], [True])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(tvm.error.OpNotImplemented, match="Hardmax2"):
        from_onnx(model)


def test_loop_body_with_if_on_the_iteration_number():
    """Nested subgraphs: an If inside the body whose condition (iter == 0) folds in each
    unrolled copy, the branches reading the body's and the outer graph's values."""
    then_graph = helper.make_graph([helper.make_node("Mul", ["x_in", "w"], ["t"])], "then", [],
                                   [_vi("t", F, [2, 3])])
    else_graph = helper.make_graph([helper.make_node("Sub", ["x_in", "w"], ["e"])], "else", [],
                                   [_vi("e", F, [2, 3])])
    body = helper.make_graph(
        [helper.make_node("Equal", ["iter", "zero"], ["first"]),
         helper.make_node("If", ["first"], ["x_out"], then_branch=then_graph,
                          else_branch=else_graph),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body", [_vi("iter", TensorProto.INT64, []), _vi("cond_in", TensorProto.BOOL, []),
                 _vi("x_in", F, [2, 3])],
        [_vi("cond_out", TensorProto.BOOL, []), _vi("x_out", F, [2, 3])],
        [helper.make_tensor("zero", TensorProto.INT64, [], [0])])
    node = helper.make_node("Loop", ["trip", "", "x0"], ["x_final"], body=body)
    x = RNG.standard_normal((2, 3)).astype("float32")
    inits = {"trip": np.array(3, "int64"), "w": RNG.standard_normal((2, 3)).astype("float32")}
    verify(make_model([node], {"x0": x}, inits, outputs=["x_final"], opset=13), {"x0": x})


def test_torch_scripted_loop():
    """A torch.jit.script for-loop (with an if on the index) exported to ONNX: a Loop whose
    trip count comes from the input's shape and whose body holds an If."""
    import io

    torch = pytest.importorskip("torch")
    import onnx

    class Recurrence(torch.nn.Module):
        def forward(self, x):
            h = torch.zeros(x.size(1), x.size(2))
            for i in range(x.size(0)):
                h = torch.relu(h * 0.5 + x[i]) - 0.1
                if i == 0:
                    h = h * 2.0
            return h

    x = torch.randn(4, 2, 3)
    buf = io.BytesIO()
    torch.onnx.export(torch.jit.script(Recurrence()), (x,), buf, input_names=["x"],
                      output_names=["y"], opset_version=17, dynamo=False)
    model = onnx.load_from_string(buf.getvalue())
    assert "Loop" in [n.op_type for n in model.graph.node]
    actual = verify(model, {"x": x.numpy()})
    np.testing.assert_allclose(actual[0], Recurrence()(x).numpy(), rtol=1e-4, atol=1e-5)
