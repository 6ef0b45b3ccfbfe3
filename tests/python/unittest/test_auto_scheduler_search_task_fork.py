"""0.8's special task inputs: registered, looked up, kept through pickling; tuning refuses them."""
import pickle

import numpy as np
import pytest

import tvm
from tvm import auto_scheduler, te


@auto_scheduler.register_workload
def gather_fork_test(n):
    x = te.placeholder((n,), name="X")
    index = te.placeholder((1,), dtype="int32", name="Index")
    y = te.compute((1,), lambda i: x[index[i]], name="Y")
    return [x, index, y]


def test_task_inputs_registered_and_pickled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    auto_scheduler.search_task.TASK_INPUT_BUFFER_TABLE.clear()
    data = np.array([5], dtype="int32")
    task = auto_scheduler.SearchTask(func=gather_fork_test, args=(10,), target="llvm",
                                     task_inputs={"Index": tvm.runtime.tensor(data)},
                                     task_inputs_save_to_file=True)
    assert task.task_input_names == ["Index"]
    got = auto_scheduler.search_task.get_task_input_buffer(task.workload_key, "Index")
    np.testing.assert_array_equal(got.numpy(), data)
    with pytest.raises(RuntimeError, match="overwrite"):
        auto_scheduler.search_task.register_task_input_buffer(task.workload_key, "Index", got)
    assert pickle.loads(pickle.dumps(task)).task_input_names == ["Index"]
    # the saved file serves a fresh table
    auto_scheduler.search_task.TASK_INPUT_BUFFER_TABLE.clear()
    again = auto_scheduler.search_task.get_task_input_buffer(task.workload_key, "Index")
    np.testing.assert_array_equal(again.numpy(), data)
    with pytest.raises(NotImplementedError, match="special inputs"):
        task.tune(auto_scheduler.TuningOptions(num_measure_trials=1))
