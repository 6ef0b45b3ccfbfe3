"""The type solver on its own (relay.transform.type_infer.TypeSolver, 0.8's
relay.analysis._ffi_api._test_type_solver), type relations named by EnvFunc,
and function types with constraints."""
import numpy as np
import pytest

import tvm
from tvm import relay
from tvm.relay.transform.type_infer import TypeSolver


def _relation(name, args, out, attrs=None):
    func = tvm.ir.EnvFunc.get("tvm.relay.type_relation." + name)
    return relay.TypeRelation(func, list(args) + [out], len(args), attrs)


def test_relations_solve_forwards_and_backwards_like_numpy():
    solver = relay.analysis._ffi_api._test_type_solver()
    assert isinstance(solver, TypeSolver)
    a, b, c = (1, 4), (3, 1), (2, 1, 1)
    hidden = relay.IncompleteType()
    first = relay.IncompleteType()
    result = relay.IncompleteType()
    # result = broadcast(first, hidden), hidden is only known through Identity below
    solver("AddConstraint")(_relation("Broadcast", [relay.TensorType(a), relay.TensorType(b)], first))
    solver("AddConstraint")(_relation("Broadcast", [first, hidden], result))
    solver("AddConstraint")(_relation("Identity", [hidden], relay.TensorType(c)))
    assert solver("Solve")()
    expected = np.broadcast_shapes(np.broadcast_shapes(a, b), c)
    assert solver("Resolve")(result) == relay.TensorType(expected)
    assert solver.Resolve(hidden) == relay.TensorType(c)


def test_unsolvable_relation_reports_false_and_bad_shapes_raise():
    solver = TypeSolver()
    solver.AddConstraint(_relation("Broadcast", [relay.IncompleteType(), relay.TensorType((2,))],
                                   relay.IncompleteType()))
    assert not solver.Solve()
    solver = TypeSolver()
    solver.AddConstraint(_relation("Broadcast", [relay.TensorType((2,)), relay.TensorType((3,))],
                                   relay.IncompleteType()))
    with pytest.raises(tvm.error.TVMError):
        solver.Solve()


def test_unify_polymorphic_functions_of_different_arity():
    solver = TypeSolver()
    a, b, c = relay.TypeVar("a"), relay.TypeVar("b"), relay.TypeVar("c")
    general = relay.FuncType([a, b], c, [a, b, c])
    narrow = relay.FuncType([a, a], a, [a])
    assert solver.Unify(general, narrow) == narrow
    hole = relay.IncompleteType()
    unified = solver.Unify(relay.TupleType([hole, hole]), relay.TupleType([relay.scalar_type("int8")] * 2))
    assert unified == relay.TupleType([relay.scalar_type("int8")] * 2)
    with pytest.raises(tvm.error.TVMError):
        solver.Unify(relay.GlobalTypeVar("x"), relay.GlobalTypeVar("y"))
    with pytest.raises(tvm.error.TVMError):
        loop = relay.IncompleteType()
        solver.Unify(loop, relay.TupleType([loop]))


def test_relations_compare_by_function_name_args_and_attrs():
    t1, t2 = relay.TensorType((1, 2)), relay.TensorType((1, 2, 3))
    attrs = tvm.ir.make_node("attrs.TestAttrs", name="attr", padding=(3, 4))
    same_attrs = tvm.ir.make_node("attrs.TestAttrs", name="attr", padding=(3, 4))
    other_attrs = tvm.ir.make_node("attrs.TestAttrs", name="attr", padding=(3, 4, 4))
    rel = _relation("Broadcast", [t1], t2, attrs)
    assert rel == _relation("Broadcast", [t1], t2, same_attrs)  # a new EnvFunc handle
    assert rel != _relation("Identity", [t1], t2, attrs)
    assert rel != _relation("Broadcast", [t1], t2, other_attrs)
    assert rel != _relation("Broadcast", [t2], t1, attrs)
    # function types compare their constraints, up to renaming of type parameters
    p, q = relay.TypeVar("p"), relay.TypeVar("q")
    with_rel = relay.FuncType([t1], p, [p], [_relation("Broadcast", [p], t1)])
    renamed = relay.FuncType([t1], q, [q], [_relation("Broadcast", [q], t1)])
    assert with_rel == renamed
    assert with_rel != relay.FuncType([t1], p, [p])
