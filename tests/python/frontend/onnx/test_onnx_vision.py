"""ONNX GridSample and NonMaxSuppression against ONNX Runtime."""
import numpy as np
import pytest
from onnx import helper

from onnx_testing import compile_model, make_model, run_module, run_ort, verify

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [0, 1])
def test_grid_sample(mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 5, 6)).astype("float32")
    # Coordinates beyond [-1, 1] exercise the padding modes.
    grid = RNG.uniform(-1.3, 1.3, (2, 4, 7, 2)).astype("float32")
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode,
                            padding_mode=padding_mode, align_corners=align_corners)
    verify(make_model([node], {"x": x, "grid": grid}, opset=16), {"x": x, "grid": grid})


@pytest.mark.parametrize("mode", ["linear", "cubic"])
def test_grid_sample_opset20_names(mode):
    x = RNG.standard_normal((1, 2, 4, 4)).astype("float32")
    grid = RNG.uniform(-1.1, 1.1, (1, 3, 5, 2)).astype("float32")
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode,
                            padding_mode="border")
    verify(make_model([node], {"x": x, "grid": grid}, opset=20), {"x": x, "grid": grid})


def _boxes(batch, num, center):
    """Clusters of overlapping boxes (so that suppression happens), corners in either order."""
    centers = RNG.uniform(0, 10, (batch, num // 3 + 1, 2)).repeat(3, axis=1)[:, :num]
    centers = centers + RNG.normal(0, 0.4, centers.shape)
    sizes = RNG.uniform(1, 3, (batch, num, 2))
    if center:  # (x_center, y_center, width, height)
        return np.concatenate([centers[..., ::-1], sizes[..., ::-1]], axis=2).astype("float32")
    y1x1 = centers - sizes / 2
    y2x2 = centers + sizes / 2
    boxes = np.concatenate([y1x1, y2x2], axis=2)
    flip = RNG.random((batch, num)) < 0.3  # some boxes given by the other diagonal
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    return boxes.astype("float32")


def _nms_model(batch, classes, num, max_out, iou, score, center=0):
    inits = {"max_out": np.array([max_out], "int64"), "iou": np.array([iou], "float32")}
    inputs = ["boxes", "scores", "max_out", "iou"]
    if score is not None:
        inits["score"] = np.array([score], "float32")
        inputs.append("score")
    node = helper.make_node("NonMaxSuppression", inputs, ["y"], center_point_box=center)
    feeds = {"boxes": _boxes(batch, num, center),
             # distinct scores: the order of equal scores is not specified by ONNX
             "scores": RNG.permutation(batch * classes * num).reshape(batch, classes, num)
             .astype("float32") / (batch * classes * num) - 0.2}
    return make_model([node], feeds, inits, opset=11), feeds


@pytest.mark.parametrize("batch,classes,num,max_out,iou,score,center", [
    (1, 1, 12, 5, 0.3, None, 0),
    (2, 3, 15, 4, 0.2, 0.1, 0),
    (2, 2, 10, 20, 0.5, None, 1),  # max_out beyond the number of boxes
    (1, 2, 9, 9, 0.0, -0.1, 0),
    (1, 3, 8, 3, 0.7, 0.9, 1),  # a high score threshold: few or no boxes
])
def test_non_max_suppression(batch, classes, num, max_out, iou, score, center):
    """Valid rows equal ONNX Runtime's output; the rest of the static output is -1."""
    model, feeds = _nms_model(batch, classes, num, max_out, iou, score, center)
    expected = run_ort(model, feeds)[0]
    actual = run_module(compile_model(model), feeds)[0]
    assert actual.shape == (batch * classes * min(max_out, num), 3)
    assert actual.dtype == np.int64
    valid = int((actual[:, 0] >= 0).sum())
    assert valid == len(expected)
    np.testing.assert_array_equal(actual[:valid], expected)
    assert (actual[valid:] == -1).all()


def test_non_max_suppression_reference_kernel_agrees():
    """The NumPy kernel (FoldConstant's) and the compiled kernel give the same rows."""
    import tvm
    from tvm import relay
    from tvm.contrib import graph_executor
    from tvm.relay.reference.ops import get_kernel

    _, feeds = _nms_model(2, 3, 11, 4, 0.25, 0.0)
    boxes, scores = feeds["boxes"], feeds["scores"]
    x = relay.var("b", shape=boxes.shape)
    s = relay.var("s", shape=scores.shape)
    call = relay.vision.all_class_non_max_suppression(x, s, 4, 0.25, 0.0).astuple()
    ref_rows, ref_count = get_kernel("vision.all_class_non_max_suppression")(
        call.attrs, [boxes, scores])
    assert 0 < ref_count[0] <= 2 * 3 * 4
    func = relay.Function([x, s], call)
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(tvm.IRModule.from_expr(func), target="llvm")
    module = graph_executor.GraphModule(lib["default"](tvm.cpu()))
    got = run_module(module, {"b": boxes, "s": scores})
    np.testing.assert_array_equal(got[0], ref_rows)
    np.testing.assert_array_equal(got[1], ref_count)
