"""The bridge to MetaSchedule: the module the search starts from."""
import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler import ms_bridge
from tvm.auto_scheduler.search_policy import SketchPolicy


def _pool_task():
    data = relay.var("data", shape=(1, 28, 28, 32))
    func = relay.Function([data], relay.nn.max_pool2d(data, (3, 3), (2, 2), padding=(1, 1), layout="NHWC"))
    (task,), _ = auto_scheduler.extract_tasks(func, None, "llvm -num-cores=2", include_simple_tasks=True)
    return task


def _annotations(mod):
    sch = tvm.s_tir.Schedule(mod)
    return {sch.get(b).name_hint: dict(sch.get(b).annotations)
            for b in sch.get_child_blocks(sch.get_sblock("root"))}


def test_pooling_is_searched_with_the_default_rules_and_no_warning(capfd):
    task = _pool_task()
    # the base's pooling compute names a GPU-only custom rule
    assert any("schedule_rule" in ann for ann in _annotations(task.compute_dag.mod).values())
    assert not any("schedule_rule" in ann for ann in _annotations(ms_bridge.search_module(task.compute_dag.mod)).values())
    policy = SketchPolicy(task, auto_scheduler.RandomModel(), seed=1, verbose=0)
    traces = policy.sample_initial_population()
    # the default rules parallelise the pooling
    assert traces and all("meta_schedule.parallel" in str(trace) for trace in traces)
    # and the states replay on the task's own module (block names are unchanged)
    for trace in traces:
        sch, _ = task.compute_dag.apply_steps_from_state(trace)
        assert "parallel" in str(sch.trace)
    assert "Unknown schedule rule" not in capfd.readouterr().err
