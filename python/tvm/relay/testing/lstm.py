"""An unrolled LSTM network, as upstream TVM 0.8's ``relay.testing.lstm``.

The network is written with let-bindings and calls of a local cell function,
as upstream (it exercises Let, tuple types and function calls rather than a
plain dataflow graph). Each of the ``iterations`` steps calls a fresh cell
function on its own input variable, named ``data`` as upstream (so ``main``
has ``iterations`` parameters called ``data``; :func:`create_workload` leaves
them all uninitialised), with parameters ``i2h_<i>_weight``, ``i2h_<i>_bias``,
``h2h_<i>_weight`` and ``h2h_<i>_bias``. ``main`` returns the last hidden
state, ``(batch_size, num_hidden)``.
"""
from .. import expr as _expr
from .. import function as _function
from .. import ty as _ty
from ..analysis import free_vars
from ..op import tensor as _tensor
from ..op import transform as _transform
from . import layers
from .init import create_workload


class _Bindings:
    """Collect ``let`` bindings in order, then nest them around a result."""

    def __init__(self):
        self._bindings = []

    def let(self, name, type_annotation, value):
        var = _expr.Var(name, type_annotation)
        self._bindings.append((var, value))
        return var

    def wrap(self, result):
        for var, value in reversed(self._bindings):
            result = _expr.Let(var, value, result)
        return result


def lstm_cell(num_hidden, batch_size=1, dtype="float32", name=""):
    """One LSTM cell as a Relay function.

    Parameters
    ----------
    num_hidden : int
        Size of the hidden state (and of the input).
    batch_size : int, optional
        The batch size.
    dtype : str, optional
        The data type.
    name : str, optional
        Prefix of the cell's layer names (the weights are parameters of the
        cell, so the names do not appear in the workload's parameters).

    Returns
    -------
    cell : relay.Function
        ``(inputs, (h, c), i2h_weight, i2h_bias, h2h_weight, h2h_bias) ->
        (next_h, (next_h, next_c))``.
    """
    input_type = _ty.TensorType((batch_size, num_hidden), dtype)
    weight_type = _ty.TensorType((4 * num_hidden, num_hidden), dtype)
    bias_type = _ty.TensorType((4 * num_hidden,), dtype)
    dense_type = _ty.TensorType((batch_size, 4 * num_hidden), dtype)
    state_type = _ty.TupleType([input_type, input_type])
    ret_type = _ty.TupleType([input_type, state_type])

    inputs = _expr.Var("inputs", input_type)
    states = _expr.Var("states", state_type)
    i2h_weight = _expr.Var("i2h_weight", weight_type)
    i2h_bias = _expr.Var("i2h_bias", bias_type)
    h2h_weight = _expr.Var("h2h_weight", weight_type)
    h2h_bias = _expr.Var("h2h_bias", bias_type)

    scope = _Bindings()
    i2h = scope.let(
        "i2h",
        dense_type,
        layers.dense_add_bias(
            inputs, weight=i2h_weight, bias=i2h_bias, units=4 * num_hidden, name=f"{name}i2h"
        ),
    )
    h2h = scope.let(
        "h2h",
        dense_type,
        layers.dense_add_bias(
            _expr.TupleGetItem(states, 0),
            weight=h2h_weight,
            bias=h2h_bias,
            units=4 * num_hidden,
            name=f"{name}h2h",
        ),
    )
    gates = scope.let("gates", dense_type, _tensor.add(i2h, h2h))
    slices = scope.let(
        "slice_gates",
        _ty.TupleType([input_type] * 4),
        _transform.split(gates, indices_or_sections=4, axis=1).astuple(),
    )

    def gate(index, activation, label):
        return scope.let(label, input_type, activation(_expr.TupleGetItem(slices, index)))

    in_gate = gate(0, _tensor.sigmoid, "in_gate")
    forget_gate = gate(1, _tensor.sigmoid, "forget_gate")
    in_transform = gate(2, _tensor.tanh, "in_transform")
    out_gate = gate(3, _tensor.sigmoid, "out_gate")
    next_c = scope.let(
        "next_c",
        input_type,
        _tensor.add(
            _tensor.multiply(forget_gate, _expr.TupleGetItem(states, 1)),
            _tensor.multiply(in_gate, in_transform),
        ),
    )
    next_h = scope.let("next_h", input_type, _tensor.multiply(out_gate, _tensor.tanh(next_c)))
    ret = scope.let("ret", ret_type, _expr.Tuple([next_h, _expr.Tuple([next_h, next_c])]))
    return _function.Function(
        [inputs, states, i2h_weight, i2h_bias, h2h_weight, h2h_bias], scope.wrap(ret), ret_type
    )


def get_net(iterations, num_hidden, batch_size=1, dtype="float32"):
    """The LSTM unrolled over ``iterations`` steps, as a Relay function.

    Returns
    -------
    net : relay.Function
    """
    if iterations < 1:
        raise ValueError(f"lstm: iterations must be at least 1, got {iterations}")
    input_type = _ty.TensorType((batch_size, num_hidden), dtype)
    weight_type = _ty.TensorType((4 * num_hidden, num_hidden), dtype)
    bias_type = _ty.TensorType((4 * num_hidden,), dtype)
    state_type = _ty.TupleType([input_type, input_type])
    cell_type = _ty.TupleType([input_type, state_type])

    scope = _Bindings()
    zeros = scope.let("zeros", input_type, _tensor.zeros((batch_size, num_hidden), dtype))
    states = scope.let("init_states", state_type, _expr.Tuple([zeros, zeros]))
    out = None
    for i in range(iterations):
        args = [
            _expr.Var("data", input_type),
            states,
            _expr.Var(f"i2h_{i}_weight", weight_type),
            _expr.Var(f"i2h_{i}_bias", bias_type),
            _expr.Var(f"h2h_{i}_weight", weight_type),
            _expr.Var(f"h2h_{i}_bias", bias_type),
        ]
        cell = lstm_cell(num_hidden, batch_size, dtype, f"lstm_{i}")
        call = scope.let(f"call_{i}", cell_type, _expr.Call(cell, args))
        out = scope.let(f"out_{i}", input_type, _expr.TupleGetItem(call, 0))
        states = scope.let(f"states_{i}", state_type, _expr.TupleGetItem(call, 1))
    body = scope.wrap(out)
    return _function.Function(free_vars(body), body, input_type)


def get_workload(iterations, num_hidden, batch_size=1, dtype="float32"):
    """An unrolled-LSTM workload: the module and its initialised parameters.

    Parameters
    ----------
    iterations : int
        Number of unrolled steps.
    num_hidden : int
        Size of the hidden state and of each step's input.
    batch_size : int, optional
        The batch size.
    dtype : str, optional
        The data type.

    Returns
    -------
    mod : tvm.IRModule
    params : dict of str to tvm.runtime.Tensor
    """
    return create_workload(get_net(iterations, num_hidden, batch_size, dtype))
