"""relay.backend.Executor / Runtime: 0.8's named configurations with typed options."""
import pytest

import tvm
from tvm.relay.backend import Executor, Runtime


def test_options_defaults_and_queries():
    graph = Executor("graph")
    assert str(graph) == "graph" and graph["link-params"] is False and "link-params" in graph
    aot = Executor("aot", {"interface-api": "c", "unpacked-api": True})
    assert aot["interface-api"] == "c" and aot["unpacked-api"] is True and "link-params" not in aot
    assert Executor.list_executors() == ["aot", "graph", "vm"]
    assert Executor.list_executor_options(aot) == {"unpacked-api": "IntImm", "interface-api": "runtime.String"}
    assert Runtime("c", {"system-lib": True})["system-lib"] is True
    assert Runtime.list_runtime_options("cpp") == {} and "cpp" in Runtime.list_runtimes()
    assert Executor("aot", {"interface-api": "c"}) == aot.__class__("aot", {"interface-api": "c"})


def test_errors_name_the_culprit():
    with pytest.raises(tvm.TVMError, match='Executor "woof" is not defined'):
        Executor("woof")
    with pytest.raises(tvm.TVMError, match='Attribute "bark" is not available on this Runtime'):
        Runtime("c", {"bark": 1})
    with pytest.raises(tvm.TVMError, match='"system-lib" should have type "IntImm" but instead found "runtime.String"'):
        Runtime("c", {"system-lib": "yes"})
    with pytest.raises(tvm.TVMError, match='Runtime "crt" is not defined'):
        Runtime.list_runtime_options("crt")
