"""Task extraction for the auto-scheduler through the compile engine (use_topi_schedule=False).

Each case states why it gives its count: the counts follow from FuseOps' grouping
(one task per distinct fused function with a reduction or other complex op, unless
include_simple_tasks) and from which computes can form a compute DAG.
"""
import time

import pytest

import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler.task_description import is_winograd
import tvm.relay.testing

ISHAPE = (1, 3, 224, 224)
W1SHAPE = (32, 3, 3, 3)
W2SHAPE = (32, 32, 3, 3)


def _two_conv_func():
    data = relay.var("data", shape=ISHAPE)
    weight1 = relay.var("weight1", shape=W1SHAPE)
    weight2 = relay.var("weight2", shape=W2SHAPE)
    out = relay.nn.relu(relay.nn.conv2d(data, weight1, kernel_size=(3, 3), padding=(1, 1)))
    out = relay.nn.relu(relay.nn.conv2d(out, weight2, kernel_size=(3, 3), padding=(1, 1)))
    return relay.Function([data, weight1, weight2], out)


def _fused_func():
    data = relay.var("data", shape=ISHAPE)
    weight1 = relay.var("weight1", shape=W1SHAPE)
    weight2 = relay.var("weight2", shape=W2SHAPE)
    fused = _two_conv_func().with_attr("Primitive", tvm.tir.IntImm("int32", 1))
    return relay.Function([data, weight1, weight2], relay.Call(fused, [data, weight1, weight2]))


def _simple_func():
    data = relay.var("data", relay.TensorType((1, 2, 3), "float32"))
    return relay.Function([data], relay.image.affine_grid(data, (150, 150)))


def _shape_of_func():
    data = relay.var("data", shape=(relay.Any(), 28, 28), dtype="float32")
    return relay.Function([data], relay.shape_of(data))


def _dynamic_shape_func():
    data = relay.var("data", shape=(relay.Any(), 32), dtype="float32")
    out = relay.max(data)
    return relay.Function(relay.analysis.free_vars(out), out)


def _control_flow_func():
    data = relay.var("data", shape=(1, 3, 224, 224))
    weight = relay.var("weight", shape=(32, 3, 3, 3))
    eq1 = relay.var("e1", shape=[], dtype="float32")
    eq2 = relay.var("e2", shape=[], dtype="float32")
    true_branch = relay.zeros(shape=(1, 32, 222, 222), dtype="float32")
    false_branch = relay.nn.conv2d(data, weight, kernel_size=(3, 3), channels=32)
    out = relay.erf(relay.If(relay.equal(eq1, eq2), true_branch, false_branch))
    return relay.Function([data, weight, eq1, eq2], out)


def _unsupported_op_func():
    post_data = relay.var("data", shape=(1, 3, 6))
    postproc = relay.Function([post_data], relay.nn.relu(post_data)).with_attr("Primitive", 1)
    cls_prob = relay.var("cls_prob", relay.ty.TensorType((1, 3, 3), "float32"))
    loc_pred = relay.var("loc_pred", relay.ty.TensorType((1, 3 * 4), "float32"))
    anchors = relay.var("anchors", relay.ty.TensorType((1, 3, 4), "float32"))
    mtl = relay.vision.multibox_transform_loc(cls_prob=cls_prob, loc_pred=loc_pred, anchor=anchors)
    nms = relay.vision.non_max_suppression(mtl[0], mtl[1], mtl[0], return_indices=False)
    return relay.Function([cls_prob, loc_pred, anchors], relay.Call(postproc, [nms]))


@pytest.mark.parametrize(
    "make, expected, include_simple_tasks",
    [
        # FuseOps puts the two conv2d+relu pairs in separate functions; each is a 3x3
        # stride-1 convolution (NHWC after the automatic layout choice), so it has two
        # variants, Winograd and direct, each a task: four tasks.
        (_two_conv_func, 4, False),
        # A function already marked "Primitive" is kept whole: one task.
        (_fused_func, 1, False),
        # Only injective ops (affine_grid): no task unless simple tasks are included.
        (_simple_func, 0, False),
        (_simple_func, 1, True),
        # shape_of reads only the shape, so its DAG has no dynamic tensor; it has no
        # reduction, so it is a simple task.
        (_shape_of_func, 0, False),
        (_shape_of_func, 1, True),
        # A reduction over a dynamically shaped input cannot form a static DAG: skipped.
        (_dynamic_shape_func, 0, False),
        # The graph executor cannot run an If, but the conv2d inside a branch is still
        # lowered (in its Winograd and direct variants).
        (_control_flow_func, 2, False),
    ],
)
def test_extraction_semantics(make, expected, include_simple_tasks):
    mod = tvm.IRModule.from_expr(make())
    tasks, weights = auto_scheduler.extract_tasks(
        mod["main"], None, tvm.target.Target("llvm"), include_simple_tasks=include_simple_tasks
    )
    assert len(tasks) == expected
    assert len(weights) == expected


def test_function_that_cannot_form_a_dag_is_skipped():
    # non_max_suppression is an extern (ir_builder) compute: its function cannot form
    # a compute DAG and is skipped; the primitive relu function after it is a simple
    # task. (multibox_transform_loc is a plain TE compute in the base's TOPI, unlike
    # upstream 0.8's ir_builder version; it reduces over the classes, so its
    # function is a complex task.)
    mod = tvm.IRModule.from_expr(_unsupported_op_func())
    tasks, weights = auto_scheduler.extract_tasks(
        mod["main"], None, "llvm", include_simple_tasks=True
    )
    descs = sorted(task.desc for task in tasks)
    assert descs == ["fused_nn_relu", "fused_vision_multibox_transform_loc"]
    assert weights == [1, 1]
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], None, "llvm")
    assert [task.desc for task in tasks] == ["fused_vision_multibox_transform_loc"]


def test_mlp_gives_one_task_of_weight_two():
    # dense(32 units)+bias+relu twice on a (1, 32) input: both fused functions are the
    # same computation, so one task that occurs twice.
    data = relay.var("data", shape=(1, 32))
    fc1 = relay.nn.bias_add(relay.nn.dense(data, relay.var("fc1_weight"), units=32), relay.var("fc1_bias"), axis=-1)
    fc2 = relay.nn.bias_add(
        relay.nn.dense(relay.nn.relu(fc1), relay.var("fc2_weight"), units=32), relay.var("fc2_bias"), axis=-1
    )
    out = relay.nn.relu(fc2)
    mod, params = relay.testing.init.create_workload(relay.Function(relay.analysis.free_vars(out), out))
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    assert len(tasks) == 1
    assert weights == [2]
    assert tasks[0].compute_dag.flop_ct > 0


def test_tasks_are_search_tasks_for_the_target():
    mod = tvm.IRModule.from_expr(_two_conv_func())
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], None, "llvm")
    for task in tasks:
        assert isinstance(task, auto_scheduler.SearchTask)
        assert task.target.kind.name == "llvm"
        assert task.workload_key.startswith('["')
    assert len({t.workload_key for t in tasks}) == len(tasks)


def test_resnet18_nhwc_task_count():
    # FuseOps puts every conv2d with its folded batch norm, relu and residual add in
    # one function: 1 stem conv + 16 stage convs + 4 shortcut 1x1 convs = 21 conv
    # functions, plus max_pool (with the next batch norm + relu), global_avg_pool,
    # dense+bias and softmax: weight 25. Stage 1's two unit-1/unit-2 "conv1"
    # functions are the same computation (64->64, 3x3, bias, relu), hence 24
    # functions. The 3x3 stride-1 ones (12 functions, weight 13) have a second
    # variant, direct convolution beside Winograd: 36 tasks of weight sum 38.
    mod, params = relay.testing.resnet.get_workload(
        num_layers=18, batch_size=1, layout="NHWC", image_shape=(224, 224, 3)
    )
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    print("resnet-18 NHWC:", len(tasks), "tasks, weight sum", sum(weights))
    assert len(tasks) == 36
    assert sum(weights) == 38
    assert sorted(weights)[-1] == 2
    assert sum(map(is_winograd, tasks)) == 12


def test_mobilenet_nhwc_task_count():
    # 1 stem conv + 13 depthwise-separable blocks x (depthwise, pointwise) = 27 conv
    # functions (each with its batch norm + relu), plus global_avg_pool, dense+bias and
    # softmax: weight 30. The five 512-channel 14x14 blocks repeat the same depthwise
    # and the same pointwise function (weight 5 each), so 27 - 8 + 3 = 22 tasks.
    mod, params = relay.testing.mobilenet.get_workload(
        batch_size=1, layout="NHWC", image_shape=(224, 224, 3)
    )
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    print("mobilenet NHWC:", len(tasks), "tasks, weight sum", sum(weights))
    assert len(tasks) == 22
    assert sum(weights) == 30
    assert sorted(weights)[-2:] == [5, 5]


def test_resnet50_extraction_time():
    mod, params = relay.testing.resnet.get_workload(
        num_layers=50, batch_size=1, layout="NHWC", image_shape=(224, 224, 3)
    )
    start = time.perf_counter()
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, "llvm")
    elapsed = time.perf_counter() - start
    print(f"resnet-50 NHWC: {len(tasks)} tasks, weight sum {sum(weights)}, extracted in {elapsed:.2f} s")
    # not a timing assertion: the figure is reported; the counts are checked
    # 29 functions of weight 57; the 4 distinct 3x3 stride-1 ones (weight 16) have
    # a direct variant beside Winograd
    assert len(tasks) == 33 and sum(weights) == 73


def test_tasks_carry_their_topi_schedule_as_baseline_state():
    # The TOPI schedule of each kernel is a state of its task (same tensors, same
    # blocks): measured first, it keeps a tuned build from being slower than the
    # untuned one for a task whose search has not beaten TOPI yet.
    mod = tvm.IRModule.from_expr(_two_conv_func())
    tasks, _ = auto_scheduler.extract_tasks(mod["main"], None, "llvm")
    for task in tasks:
        assert task.baseline_state is not None and len(task.baseline_state.insts) > 0
        sch, args = task.compute_dag.apply_steps_from_state(task.baseline_state)
        assert len(args) == 3
        assert sch.trace is not None


def test_dump_workload_to_dag_log(tmp_path):
    # 0.8's dump_workload_to_dag_log: {workload_key: compute DAG text} of every task, as JSON
    import json  # pylint: disable=import-outside-toplevel

    path = tmp_path / "dags.json"
    tasks, _ = auto_scheduler.extract_tasks(_two_conv_func(), None, "llvm", include_simple_tasks=True,
                                            dump_workload_to_dag_log=str(path))
    dumped = json.loads(path.read_text())
    assert dumped == {task.workload_key: str(task.compute_dag) for task in tasks}
    assert len(dumped) == len(tasks) and all(text.startswith("p0 = PLACEHOLDER") for text in dumped.values())


def test_custom_hash_func_names_the_workloads():
    # 0.8's hook: a global function auto_scheduler.compute_dag.hash_func(dag text) gives the hash
    import tvm_ffi  # pylint: disable=import-outside-toplevel

    texts = []

    def numbering(text):
        texts.append(text)
        return len(texts) - 1

    tvm_ffi.register_global_func("auto_scheduler.compute_dag.hash_func", numbering, override=True)
    try:
        tasks, _ = auto_scheduler.extract_tasks(_two_conv_func(), None, "llvm", include_simple_tasks=True)
    finally:
        tvm_ffi.remove_global_func("auto_scheduler.compute_dag.hash_func")
    hashes = [int(task.workload_key[1:].split(",")[0]) for task in tasks]
    assert len(set(hashes)) == len(hashes) and max(hashes) < len(texts)
    again, _ = auto_scheduler.extract_tasks(_two_conv_func(), None, "llvm", include_simple_tasks=True)
    assert all(task.workload_key.startswith('["') for task in again)  # MD5 again once removed
