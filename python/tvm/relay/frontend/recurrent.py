"""Recurrent layers (LSTM, GRU, plain RNN) built from Relay expressions.

Framework-neutral builders shared by the frontends: the ONNX converters
(``LSTM``, ``GRU``, ``RNN``) and the PyTorch frontend (``aten::lstm``,
``aten::gru``, ``aten::rnn_tanh``/``rnn_relu``) call them with their own
weights, re-ordered per gate with :func:`gates_from_stacked`.

Relay has no loop construct that the graph executor can run, so a layer is
unrolled over the sequence, whose length must be static. The input
projection of all time steps is one dense (one matrix product for the whole
sequence); each step then adds the recurrent product of the previous hidden
state. A builder handles one direction; a bidirectional layer is two calls
(one with ``reverse=True``) whose outputs the caller concatenates.

Semantics (the ONNX operator definitions, which PyTorch's layers are special
cases of; ``x`` the step input, ``h``/``c`` the previous states, ``W``/``R``
the input/recurrent weights, ``Wb``/``Rb`` their biases, ``P`` peepholes)::

    LSTM  i = f(x Wi' + h Ri' + Pi * c + Wbi + Rbi)
          f = f(x Wf' + h Rf' + Pf * c + Wbf + Rbf)      (1 - i with input_forget)
          g = g(x Wc' + h Rc' + Wbc + Rbc)
          c' = f * c + i * g
          o = f(x Wo' + h Ro' + Po * c' + Wbo + Rbo)
          h' = o * h(c')                                (then h' Wproj' if projected)
    GRU   z = f(x Wz' + h Rz' + Wbz + Rbz)
          r = f(x Wr' + h Rr' + Wbr + Rbr)
          n = g(x Wh' + (r * h) Rh' + Rbh + Wbh)         linear_before_reset = False
          n = g(x Wh' + r * (h Rh' + Rbh) + Wbh)         linear_before_reset = True (PyTorch)
          h' = (1 - z) * n + z * h
    RNN   h' = f(x Wi' + h Ri' + Wbi + Rbi)

``clip`` (ONNX) bounds every activation's input to ``[-clip, clip]``.

Sequence lengths: with ``seq_lens``, batch entry ``b`` only runs its first
``seq_lens[b]`` steps; at later steps its state is kept and its output is
zero, as ONNX specifies, so the final states are those of each entry's last
valid step. In reverse, each entry's valid prefix is reversed (its last
valid step is processed first) and the outputs are put back in place.

Example: layer 0 of a ``torch.nn.LSTM`` (weights as relay constants)::

    gates = {name: gates_from_stacked(weights[name], "ifgo", "lstm")
             for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")}
    y, h, c = lstm(x, gates["weight_ih_l0"], gates["weight_hh_l0"],
                   gates["bias_ih_l0"], gates["bias_hh_l0"], init_h=h0, init_c=c0)

(tests/python/frontend/test_recurrent_builders.py checks LSTM with projection,
GRU and RNN built this way against torch.)
"""
from collections import namedtuple

import numpy as np

from .. import expr as _expr
from ..op import nn as _nn
from ..op import tensor as _tensor
from ..op import transform as _transform
from .common import infer_shape, infer_type

__all__ = [
    "LSTMGates",
    "GRUGates",
    "activation",
    "gates_from_stacked",
    "lstm",
    "gru",
    "rnn",
]

#: Per-gate tensors of an LSTM: input, forget, cell (PyTorch's ``g``), output.
LSTMGates = namedtuple("LSTMGates", ["input", "forget", "cell", "output"])

#: Per-gate tensors of a GRU: update (``z``), reset (``r``), hidden (ONNX's ``h``, PyTorch's ``n``).
GRUGates = namedtuple("GRUGates", ["update", "reset", "hidden"])

_GATE_LETTERS = {
    "lstm": {"i": "input", "f": "forget", "c": "cell", "g": "cell", "o": "output"},
    "gru": {"z": "update", "r": "reset", "h": "hidden", "n": "hidden"},
}


def gates_from_stacked(stacked, order, kind, axis=0):
    """Split a tensor holding all gates stacked along ``axis`` into per-gate tensors.

    Parameters
    ----------
    stacked : relay.Expr
        E.g. an ONNX weight slice ``(4 * hidden, input)`` or a PyTorch
        ``weight_ih_l0``; a bias ``(4 * hidden,)`` works the same way.
    order : str
        The gate letters in their stacked order: ONNX ``"iofc"`` (LSTM) and
        ``"zrh"`` (GRU), PyTorch ``"ifgo"`` and ``"rzn"``. LSTM letters are
        ``i f c|g o``; GRU letters ``z r h|n``.
    kind : str
        ``"lstm"`` or ``"gru"``.
    axis : int
        The stacking axis.

    Returns
    -------
    gates : LSTMGates or GRUGates
    """
    letters = _GATE_LETTERS.get(kind)
    if letters is None:
        raise ValueError(f"gates_from_stacked: kind must be 'lstm' or 'gru', got {kind!r}")
    names = [letters.get(letter) for letter in order]
    gate_type = LSTMGates if kind == "lstm" else GRUGates
    if None in names or sorted(names) != sorted(gate_type._fields):
        raise ValueError(f"gates_from_stacked: {order!r} is not an order of the {kind} gates "
                         f"({'/'.join(letters)})")
    pieces = _split(stacked, len(order), axis)
    return gate_type(**{name: pieces[k] for k, name in enumerate(names)})


# -- activations ---------------------------------------------------------------------

# name -> (builder(x, alpha, beta), default alpha, default beta); None: the function has no
# such parameter (and consumes no value of activation_alpha/activation_beta).
def _affine(x, alpha, beta):
    return _tensor.add(_tensor.multiply(x, _f(alpha)), _f(beta))


def _scaled_tanh(x, alpha, beta):
    return _tensor.multiply(_f(alpha), _tensor.tanh(_tensor.multiply(x, _f(beta))))


def _hard_sigmoid(x, alpha, beta):
    return _tensor.clip(_tensor.add(_tensor.multiply(x, _f(alpha)), _f(beta)), 0.0, 1.0)


def _elu(x, alpha, beta):  # pylint: disable=unused-argument
    negative = _tensor.multiply(_f(alpha), _tensor.subtract(_tensor.exp(x), _f(1.0)))
    return _transform.where(_tensor.less(x, _f(0.0)), negative, x)


def _thresholded_relu(x, alpha, beta):  # pylint: disable=unused-argument
    return _transform.where(_tensor.greater(x, _f(alpha)), x, _tensor.zeros_like(x))


def _softsign(x, alpha, beta):  # pylint: disable=unused-argument
    return _tensor.divide(x, _tensor.add(_tensor.abs(x), _f(1.0)))


def _softplus(x, alpha, beta):  # pylint: disable=unused-argument
    return _tensor.log(_tensor.add(_tensor.exp(x), _f(1.0)))


_ACTIVATIONS = {
    "sigmoid": (lambda x, a, b: _tensor.sigmoid(x), None, None),
    "tanh": (lambda x, a, b: _tensor.tanh(x), None, None),
    "relu": (lambda x, a, b: _nn.relu(x), None, None),
    "leakyrelu": (lambda x, a, b: _nn.leaky_relu(x, a), 0.01, None),
    "thresholdedrelu": (_thresholded_relu, 1.0, None),
    "affine": (_affine, 1.0, 0.0),
    "scaledtanh": (_scaled_tanh, 1.0, 1.0),
    "hardsigmoid": (_hard_sigmoid, 0.2, 0.5),
    "elu": (_elu, 1.0, None),
    "softsign": (_softsign, None, None),
    "softplus": (_softplus, None, None),
}


def _f(value):
    return _expr.const(np.float32(value))


def activation(name, alpha=None, beta=None):
    """The activation function ``name`` (ONNX's names, case-insensitive) as a callable.

    Parameters
    ----------
    name : str
        ``Sigmoid``, ``Tanh``, ``Relu``, ``LeakyRelu``, ``ThresholdedRelu``,
        ``Affine``, ``ScaledTanh``, ``HardSigmoid``, ``Elu``, ``Softsign`` or
        ``Softplus``.
    alpha, beta : float, optional
        The function's parameters (ONNX's defaults when omitted).

    Returns
    -------
    func : callable
        ``relay.Expr -> relay.Expr`` (float32).

    Raises
    ------
    tvm.error.OpNotImplemented
        For an unknown name.
    """
    import tvm  # pylint: disable=import-outside-toplevel

    entry = _ACTIVATIONS.get(str(name).lower())
    if entry is None:
        raise tvm.error.OpNotImplemented(
            f"recurrent activation {name!r} is not supported (known: {', '.join(_ACTIVATIONS)})")
    build, default_alpha, default_beta = entry
    alpha = default_alpha if alpha is None else alpha
    beta = default_beta if beta is None else beta
    return lambda x: build(x, alpha, beta)


def activation_uses(name):
    """``(uses alpha, uses beta)`` for the activation ``name`` (how many ONNX
    ``activation_alpha``/``activation_beta`` values it consumes)."""
    entry = _ACTIVATIONS.get(str(name).lower())
    if entry is None:
        return False, False
    return entry[1] is not None, entry[2] is not None


# -- the shared unrolling ------------------------------------------------------------


def _stack_gates(gates, axis=0):
    return _tensor.concatenate(list(gates), axis=axis)


def _bias_sum(count, input_bias, hidden_bias, skip=()):
    """Per gate: input bias + hidden bias; ``skip``: gates whose hidden bias is applied
    elsewhere. ``[None] * count`` when no bias is given."""
    if input_bias is None and hidden_bias is None:
        return [None] * count
    out = []
    for k in range(count):
        parts = [b[k] for b in (input_bias, hidden_bias) if b is not None]
        if hidden_bias is not None and k in skip:
            parts.pop()
        if not parts:
            out.append(None)
        else:
            out.append(parts[0] if len(parts) == 1 else _tensor.add(parts[0], parts[1]))
    return out


def _split(data, sections, axis):
    parts = _transform.split(data, sections, axis=axis)
    return [parts[k] for k in range(sections)]


class _Sequence:
    """The steps of one direction: projected inputs per step, masking, output collection."""

    def __init__(self, data, weights, biases, reverse, seq_lens, what):
        shape = infer_shape(data)
        if len(shape) != 3 or not all(isinstance(d, int) for d in shape):
            raise ValueError(f"{what}: data must be a static (seq_len, batch, input) tensor, "
                             f"got shape {shape}")
        self.seq_len, self.batch, input_size = shape
        self.dtype = infer_type(data).checked_type.dtype
        self.reverse = reverse
        self.seq_lens = self._useful_lengths(seq_lens)
        if self.seq_lens is not None and reverse:
            # Each entry's valid prefix reversed: step 0 is its last valid input.
            data = _transform.reverse_sequence(data, self.seq_lens, seq_axis=0, batch_axis=1)
        # One matrix product projects every step's input through all gates at once.
        flat = _transform.reshape(data, (self.seq_len * self.batch, input_size))
        proj = _nn.dense(flat, _stack_gates(weights))
        bias = [b for b in biases if b is not None]
        if bias:
            if len(bias) != len(biases):
                raise ValueError(f"{what}: give the biases of all gates or of none")
            proj = _tensor.add(proj, _stack_gates(biases))
        proj = _transform.reshape(proj, (self.seq_len, self.batch, -1))
        self.steps = [_transform.squeeze(p, axis=[0]) for p in _split(proj, self.seq_len, 0)]
        if reverse and self.seq_lens is None:
            self.steps = self.steps[::-1]

    def _useful_lengths(self, seq_lens):
        if seq_lens is None:
            return None
        if isinstance(seq_lens, _expr.Constant):
            lens = seq_lens.numpy()
            if np.all(lens >= self.seq_len):  # every entry runs every step: no masking
                return None
        return _transform.cast(seq_lens, "int32")

    def valid(self, step):
        """``(batch, 1)`` bool: which entries still run at ``step``; None if all do."""
        if self.seq_lens is None:
            return None
        alive = _tensor.less(_expr.const(np.int32(step)), self.seq_lens)
        return _transform.expand_dims(alive, 1)

    def outputs(self, hiddens):
        """Stack the per-step outputs into ``(seq_len, batch, hidden)``, in input order."""
        if self.reverse and self.seq_lens is None:
            hiddens = hiddens[::-1]
        out = _tensor.stack(hiddens, axis=0)
        if self.reverse and self.seq_lens is not None:
            out = _transform.reverse_sequence(out, self.seq_lens, seq_axis=0, batch_axis=1)
        return out


def _keep(valid, new, old):
    return new if valid is None else _transform.where(valid, new, old)


def _initial(state, batch, hidden, dtype):
    if state is None:
        return _tensor.zeros((batch, hidden), dtype)
    return state


def _clipper(clip):
    if clip is None:
        return lambda x: x
    return lambda x: _tensor.clip(x, -float(clip), float(clip))


def _hidden_size(weight, what):
    shape = infer_shape(weight)
    if len(shape) != 2:
        raise ValueError(f"{what}: per-gate weights must be 2-d (hidden, features), got {shape}")
    return shape[0]


def lstm(data, input_weights, hidden_weights, input_bias=None, hidden_bias=None,
         init_h=None, init_c=None, peepholes=None, activations=None, clip=None,
         input_forget=False, reverse=False, seq_lens=None, proj_weight=None):
    """One direction of an LSTM layer, unrolled over the sequence.

    Parameters
    ----------
    data : relay.Expr
        ``(seq_len, batch, input_size)`` with a static shape.
    input_weights, hidden_weights : LSTMGates
        Per gate, ``(hidden, input_size)`` and ``(hidden, hidden_out)`` (as
        stored by ONNX and PyTorch: the product is ``x W^T``).
    input_bias, hidden_bias : LSTMGates, optional
        Per gate, ``(hidden,)``; omitted: zero.
    init_h, init_c : relay.Expr, optional
        ``(batch, hidden_out)`` and ``(batch, hidden)`` initial states; omitted: zeros.
    peepholes : LSTMGates, optional
        ``(hidden,)`` peephole weights of the input, forget and output gates
        (``cell`` is ignored).
    activations : tuple of callable, optional
        ``(f, g, h)``, default ``(sigmoid, tanh, tanh)``; see :func:`activation`.
    clip : float, optional
        Bound of every activation input (ONNX ``clip``).
    input_forget : bool
        Couple the forget gate to the input gate (``f = 1 - i``).
    reverse : bool
        Run from the last step to the first.
    seq_lens : relay.Expr, optional
        ``(batch,)`` integer lengths (see the module docstring).
    proj_weight : relay.Expr, optional
        ``(hidden_out, hidden)`` projection of the hidden state (PyTorch's
        ``proj_size``); ``hidden_out = hidden`` without it.

    Returns
    -------
    outputs : relay.Expr
        ``(seq_len, batch, hidden_out)``: the hidden state of every step.
    last_h, last_c : relay.Expr
        ``(batch, hidden_out)`` and ``(batch, hidden)``: the final states.
    """
    act_f, act_g, act_h = activations or (_tensor.sigmoid, _tensor.tanh, _tensor.tanh)
    clipped = _clipper(clip)
    hidden = _hidden_size(input_weights.input, "lstm")
    biases = _bias_sum(4, input_bias, hidden_bias)
    seq = _Sequence(data, input_weights, biases, reverse, seq_lens, "lstm")
    hidden_out = hidden if proj_weight is None else infer_shape(proj_weight)[0]
    h = _initial(init_h, seq.batch, hidden_out, seq.dtype)
    c = _initial(init_c, seq.batch, hidden, seq.dtype)
    recurrent = _stack_gates(hidden_weights)
    outputs = []
    for step, x_proj in enumerate(seq.steps):
        pre = _tensor.add(x_proj, _nn.dense(h, recurrent))
        pre_i, pre_f, pre_c, pre_o = _split(pre, 4, 1)
        if peepholes is not None:
            pre_i = _tensor.add(pre_i, _tensor.multiply(peepholes.input, c))
            pre_f = _tensor.add(pre_f, _tensor.multiply(peepholes.forget, c))
        gate_i = act_f(clipped(pre_i))
        gate_f = (_tensor.subtract(_f(1.0), gate_i) if input_forget
                  else act_f(clipped(pre_f)))
        cell = act_g(clipped(pre_c))
        new_c = _tensor.add(_tensor.multiply(gate_f, c), _tensor.multiply(gate_i, cell))
        if peepholes is not None:
            pre_o = _tensor.add(pre_o, _tensor.multiply(peepholes.output, new_c))
        gate_o = act_f(clipped(pre_o))
        new_h = _tensor.multiply(gate_o, act_h(new_c))
        if proj_weight is not None:
            new_h = _nn.dense(new_h, proj_weight)
        valid = seq.valid(step)
        h = _keep(valid, new_h, h)
        c = _keep(valid, new_c, c)
        outputs.append(_keep(valid, new_h, _tensor.zeros_like(new_h)))
    return seq.outputs(outputs), h, c


def gru(data, input_weights, hidden_weights, input_bias=None, hidden_bias=None, init_h=None,
        activations=None, clip=None, linear_before_reset=False, reverse=False, seq_lens=None):
    """One direction of a GRU layer, unrolled over the sequence.

    Parameters
    ----------
    data : relay.Expr
        ``(seq_len, batch, input_size)`` with a static shape.
    input_weights, hidden_weights : GRUGates
        Per gate, ``(hidden, input_size)`` and ``(hidden, hidden)``.
    input_bias, hidden_bias : GRUGates, optional
        Per gate, ``(hidden,)``; omitted: zero.
    init_h : relay.Expr, optional
        ``(batch, hidden)``; omitted: zeros.
    activations : tuple of callable, optional
        ``(f, g)``, default ``(sigmoid, tanh)``.
    clip : float, optional
        Bound of every activation input.
    linear_before_reset : bool
        Apply the reset gate after the recurrent product of the hidden gate
        (PyTorch's GRU does; ONNX's default does not).
    reverse : bool
    seq_lens : relay.Expr, optional
        ``(batch,)`` integer lengths (see the module docstring).

    Returns
    -------
    outputs : relay.Expr
        ``(seq_len, batch, hidden)``.
    last_h : relay.Expr
        ``(batch, hidden)``.
    """
    act_f, act_g = activations or (_tensor.sigmoid, _tensor.tanh)
    clipped = _clipper(clip)
    hidden = _hidden_size(input_weights.update, "gru")
    # Without linear_before_reset the hidden gate's recurrent bias joins its input bias.
    biases = _bias_sum(3, input_bias, hidden_bias, skip=(2,) if linear_before_reset else ())
    seq = _Sequence(data, input_weights, biases, reverse, seq_lens, "gru")
    h = _initial(init_h, seq.batch, hidden, seq.dtype)
    if linear_before_reset:
        recurrent = _stack_gates(hidden_weights)
        reset_bias = hidden_bias.hidden if hidden_bias else None
    else:
        recurrent = _stack_gates(hidden_weights[:2])
    outputs = []
    for step, x_proj in enumerate(seq.steps):
        x_z, x_r, x_h = _split(x_proj, 3, 1)
        h_proj = _nn.dense(h, recurrent)
        if linear_before_reset:
            h_z, h_r, h_h = _split(h_proj, 3, 1)
            if reset_bias is not None:
                h_h = _tensor.add(h_h, reset_bias)
        else:
            h_z, h_r = _split(h_proj, 2, 1)
        gate_z = act_f(clipped(_tensor.add(x_z, h_z)))
        gate_r = act_f(clipped(_tensor.add(x_r, h_r)))
        if linear_before_reset:
            pre_h = _tensor.add(x_h, _tensor.multiply(gate_r, h_h))
        else:
            pre_h = _tensor.add(x_h, _nn.dense(_tensor.multiply(gate_r, h), hidden_weights.hidden))
        candidate = act_g(clipped(pre_h))
        # (1 - z) * n + z * h, written as n + z * (h - n)
        new_h = _tensor.add(candidate, _tensor.multiply(gate_z, _tensor.subtract(h, candidate)))
        valid = seq.valid(step)
        h = _keep(valid, new_h, h)
        outputs.append(_keep(valid, new_h, _tensor.zeros_like(new_h)))
    return seq.outputs(outputs), h


def rnn(data, input_weight, hidden_weight, input_bias=None, hidden_bias=None, init_h=None,
        activation_fn=None, clip=None, reverse=False, seq_lens=None):
    """One direction of a plain (Elman) RNN layer, unrolled over the sequence.

    Parameters
    ----------
    data : relay.Expr
        ``(seq_len, batch, input_size)`` with a static shape.
    input_weight, hidden_weight : relay.Expr
        ``(hidden, input_size)`` and ``(hidden, hidden)``.
    input_bias, hidden_bias : relay.Expr, optional
        ``(hidden,)``; omitted: zero.
    init_h : relay.Expr, optional
        ``(batch, hidden)``; omitted: zeros.
    activation_fn : callable, optional
        Default ``tanh`` (PyTorch's ``nonlinearity="relu"``: ``activation("Relu")``).
    clip : float, optional
    reverse : bool
    seq_lens : relay.Expr, optional

    Returns
    -------
    outputs : relay.Expr
        ``(seq_len, batch, hidden)``.
    last_h : relay.Expr
        ``(batch, hidden)``.
    """
    act = activation_fn or _tensor.tanh
    clipped = _clipper(clip)
    hidden = _hidden_size(input_weight, "rnn")
    given = [b for b in (input_bias, hidden_bias) if b is not None]
    bias = None
    if given:
        bias = given[0] if len(given) == 1 else _tensor.add(given[0], given[1])
    seq = _Sequence(data, [input_weight], [bias], reverse, seq_lens, "rnn")
    h = _initial(init_h, seq.batch, hidden, seq.dtype)
    outputs = []
    for step, x_proj in enumerate(seq.steps):
        new_h = act(clipped(_tensor.add(x_proj, _nn.dense(h, hidden_weight))))
        valid = seq.valid(step)
        h = _keep(valid, new_h, h)
        outputs.append(_keep(valid, new_h, _tensor.zeros_like(new_h)))
    return seq.outputs(outputs), h
