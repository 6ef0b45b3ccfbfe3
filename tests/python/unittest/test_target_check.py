"""Targets are checked before anything is measured or logged (tvm.contrib.target_check)."""
import pytest

import tvm
from tvm import auto_scheduler, autotvm, te
from tvm.contrib.target_check import COMPATIBLE, EXACT, NO_MATCH, check_target, target_compatible


def test_a_valid_target_is_returned_parsed():
    target = check_target("llvm -mcpu=znver4")
    assert isinstance(target, tvm.target.Target) and str(target.attrs["mcpu"]) == "znver4"
    assert check_target(target) is target


def test_an_unknown_kind_names_the_kind_and_the_known_ones():
    with pytest.raises(ValueError, match="unknown target kind 'nonsense_target'.*llvm"):
        check_target("nonsense_target -foo=bar")


def test_an_unknown_option_is_named():
    with pytest.raises(ValueError, match="cannot be parsed.*'foo'"):
        check_target("llvm -foo=bar")


def test_an_mcpu_llvm_does_not_know_is_named():
    with pytest.raises(ValueError, match="-mcpu=nonsense is not a CPU that LLVM knows"):
        check_target("llvm -mcpu=nonsense", what="--target")
    with pytest.raises(ValueError, match="^--target"):
        check_target("llvm -mcpu=nonsense", what="--target")


@pytest.mark.parametrize("kind", ["cuda", "rocm", "vulkan"])
def test_a_device_that_is_not_present_is_named(kind):
    if tvm.device(kind).exist:
        pytest.skip(f"this machine has a {kind} device")
    with pytest.raises(ValueError, match=f"'{kind}' needs the device.*does not have"):
        check_target(kind)
    # measured remotely (an RPC runner), the local device does not matter
    assert check_target(kind, local_device=False).kind.name == kind


def test_target_compatible():
    assert target_compatible("llvm -mcpu=znver4", "llvm -mcpu=znver4") == EXACT
    assert target_compatible("llvm -mcpu=skylake-avx512", "llvm -mcpu=znver4") == COMPATIBLE
    assert target_compatible("llvm -num-cores=4", "llvm") == COMPATIBLE
    assert target_compatible("llvm -mtriple=aarch64-linux-gnu", "llvm") == NO_MATCH  # keys arm_cpu, cpu
    assert target_compatible("c", "llvm") == NO_MATCH
    assert target_compatible("nonsense_target", "llvm") == NO_MATCH


class _NeverBuilder(auto_scheduler.measure.ProgramBuilder):
    def build(self, measure_inputs, verbose=1):
        raise AssertionError("built a candidate for a target that was never checked")


def test_the_auto_scheduler_measurer_checks_before_building_or_logging(tmp_path):
    A = te.placeholder((8, 8), name="A")
    B = te.compute((8, 8), lambda i, j: A[i, j] * 2, name="B")
    log = tmp_path / "log.json"
    for target in ("llvm -mcpu=nonsense", "cuda"):
        if target == "cuda" and tvm.device("cuda").exist:
            continue
        task = auto_scheduler.SearchTask(compute_dag=auto_scheduler.ComputeDAG([A, B]), target=target)
        measurer = auto_scheduler.measure.ProgramMeasurer(_NeverBuilder(), auto_scheduler.LocalRunner(),
                                                          [auto_scheduler.RecordToFile(str(log))], verbose=0)
        inp = auto_scheduler.MeasureInput(task, task.compute_dag.init_state)
        with pytest.raises(ValueError, match="mcpu=nonsense|'cuda' needs the device"):
            measurer.measure(task, None, [inp])
    assert not log.exists()


@autotvm.template("test_target_check/add")
def _add_template(n):
    a = te.placeholder((n,), name="A")
    b = te.compute((n,), lambda i: a[i] + 1, name="B")
    autotvm.get_config().define_knob("k", [0, 1])
    return tvm.s_tir.Schedule(te.create_prim_func([a, b])), [a, b]


def test_autotvm_tune_checks_before_measuring(tmp_path):
    task = autotvm.task.create("test_target_check/add", args=(8,), target="llvm -mcpu=nonsense")
    log = tmp_path / "tune.log"
    tuner = autotvm.tuner.GridSearchTuner(task)
    option = {"builder": object(), "runner": object()}  # never used: the check comes first
    with pytest.raises(ValueError, match="-mcpu=nonsense"):
        tuner.tune(2, option, callbacks=[autotvm.callback.log_to_file(str(log))])
    assert not log.exists()
