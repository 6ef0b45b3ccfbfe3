"""Whole-network ONNX models written with ``onnx.helper`` (no torch needed).

Each builder returns an ``onnx.ModelProto`` with seeded random weights, shaped
like what exporters produce (``batch`` may be a string: a symbolic dimension):

* :func:`resnet_style` -- a small ResNet (Conv/BatchNormalization/Relu, MaxPool,
  basic blocks with projection shortcuts, GlobalAveragePool, Flatten, Gemm).
* :func:`mobilenet_v2_style` -- a small MobileNetV2 (inverted residual blocks
  with depthwise convolutions, ReLU6 as Clip, a torch-style
  ``x.view(x.size(0), -1)`` through Shape/Gather/Unsqueeze/Concat/Reshape).
* :func:`transformer_encoder` -- a 2-layer BERT-style encoder: token and
  position embeddings (Gather, Range, Expand), multi-head self-attention with an
  attention mask (Where), LayerNormalization, an Erf-based GELU feed-forward
  block, and a pooled output.

:func:`sample_inputs` gives valid random inputs for any of them (token ids within
the vocabulary, a mask with padding). Run as a script to save a model::

    python tests/python/frontend/onnx/models.py transformer_encoder encoder.onnx
"""
import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["resnet_style", "mobilenet_v2_style", "transformer_encoder", "sample_inputs",
           "MODELS"]


class _Builder:
    """Collects nodes and initializers with unique names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.count = 0

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def init(self, array, prefix="w"):
        name = self.fresh(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values, prefix="c"):
        return self.init(np.asarray(values, dtype="int64"), prefix)

    def op(self, op_type, inputs, outputs=1, **attrs):
        names = [self.fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def normal(self, shape, std):
        return (self.rng.standard_normal(shape) * std).astype("float32")

    def uniform(self, shape, low, high):
        return self.rng.uniform(low, high, shape).astype("float32")

    def model(self, name, inputs, outputs, opset, metadata=None):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="tvm-fork-tests")
        helper.set_model_props(model, {k: str(v) for k, v in (metadata or {}).items()})
        model.ir_version = min(model.ir_version, 8)
        onnx.checker.check_model(model)
        return model


# -- CNNs ------------------------------------------------------------------------------


def _conv_bn(b, x, cin, cout, kernel, stride=1, groups=1, act="relu"):
    pad = kernel // 2
    weight = b.init(b.normal((cout, cin // groups, kernel, kernel),
                             math.sqrt(2.0 / (cin // groups * kernel * kernel))))
    y = b.op("Conv", [x, weight], kernel_shape=[kernel, kernel], strides=[stride, stride],
             pads=[pad] * 4, group=groups)
    bn = [b.init(b.uniform((cout,), 0.5, 1.5)), b.init(b.normal((cout,), 0.1)),
          b.init(b.normal((cout,), 0.1)), b.init(b.uniform((cout,), 0.5, 1.5))]
    y = b.op("BatchNormalization", [y] + bn, epsilon=1e-5)
    if act == "relu":
        y = b.op("Relu", [y])
    elif act == "relu6":
        y = b.op("Clip", [y, b.init(np.float32(0.0)), b.init(np.float32(6.0))])
    return y


def _classifier(b, x, channels, classes):
    weight = b.init(b.normal((classes, channels), math.sqrt(1.0 / channels)))
    bias = b.init(b.normal((classes,), 0.1))
    return b.op("Gemm", [x, weight, bias], transB=1)


def resnet_style(batch=1, image=32, classes=10, seed=0, opset=13):
    """A ResNet-style CNN: stem, three basic blocks (two with stride-2 projections), head."""
    b = _Builder(seed)
    x = _conv_bn(b, "input", 3, 16, 3)
    x = b.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        y = _conv_bn(b, x, cin, cout, 3, stride)
        y = _conv_bn(b, y, cout, cout, 3, 1, act=None)
        shortcut = x if stride == 1 and cin == cout else _conv_bn(b, x, cin, cout, 1, stride,
                                                                  act=None)
        x = b.op("Relu", [b.op("Add", [y, shortcut])])
        cin = cout
    x = b.op("Flatten", [b.op("GlobalAveragePool", [x])], axis=1)
    out = _classifier(b, x, cin, classes)
    return b.model(
        "resnet_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, image, image])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [batch, classes])], opset)


def mobilenet_v2_style(batch=1, image=32, classes=10, seed=0, opset=13):
    """A MobileNetV2-style CNN: inverted residual blocks with depthwise convolutions."""
    b = _Builder(seed)
    x = _conv_bn(b, "input", 3, 16, 3, 2, act="relu6")
    cin = 16
    # (expansion, out channels, stride)
    for expand, cout, stride in ((1, 8, 1), (6, 16, 2), (6, 16, 1), (6, 24, 2)):
        hidden = cin * expand
        y = x if expand == 1 else _conv_bn(b, x, cin, hidden, 1, act="relu6")
        y = _conv_bn(b, y, hidden, hidden, 3, stride, groups=hidden, act="relu6")
        y = _conv_bn(b, y, hidden, cout, 1, act=None)
        x = b.op("Add", [x, y]) if stride == 1 and cin == cout else y
        cin = cout
    x = _conv_bn(b, x, cin, 64, 1, act="relu6")
    x = b.op("GlobalAveragePool", [x])
    # torch's x.view(x.size(0), -1), as exported
    size0 = b.op("Gather", [b.op("Shape", [x]), b.init(np.int64(0))], axis=0)
    target = b.op("Concat", [b.op("Unsqueeze", [size0, b.ints([0])]), b.ints([-1])], axis=0)
    x = b.op("Reshape", [x, target])
    x = b.op("Dropout", [x, b.init(np.float32(0.2))])
    out = _classifier(b, x, 64, classes)
    return b.model(
        "mobilenet_v2_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 3, image, image])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [batch, classes])], opset)


# -- transformer -------------------------------------------------------------------------


def _linear(b, x, din, dout):
    weight = b.init(b.normal((din, dout), 0.02 * math.sqrt(768 / din)))
    return b.op("Add", [b.op("MatMul", [x, weight]), b.init(b.normal((dout,), 0.02))])


def _layer_norm(b, x, hidden):
    scale = b.init(b.uniform((hidden,), 0.8, 1.2))
    bias = b.init(b.normal((hidden,), 0.05))
    return b.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-12)


def _split_heads(b, x, heads, head_dim, key=False):
    # (B, S, D) -> (B, H, S, Dh), the target shape computed from the input as exporters do
    shape = b.op("Shape", [x])
    dims = [b.op("Unsqueeze", [b.op("Gather", [shape, b.init(np.int64(i))], axis=0), b.ints([0])])
            for i in (0, 1)]
    target = b.op("Concat", dims + [b.ints([heads, head_dim])], axis=0)
    x = b.op("Reshape", [x, target])
    return b.op("Transpose", [x], perm=[0, 2, 3, 1] if key else [0, 2, 1, 3])


def _attention(b, x, mask_bias, hidden, heads):
    head_dim = hidden // heads
    q = _split_heads(b, _linear(b, x, hidden, hidden), heads, head_dim)
    k = _split_heads(b, _linear(b, x, hidden, hidden), heads, head_dim, key=True)
    v = _split_heads(b, _linear(b, x, hidden, hidden), heads, head_dim)
    scores = b.op("Div", [b.op("MatMul", [q, k]), b.init(np.float32(math.sqrt(head_dim)))])
    probs = b.op("Softmax", [b.op("Add", [scores, mask_bias])], axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    ctx = b.op("Reshape", [ctx, b.ints([0, 0, hidden])])
    return _linear(b, ctx, hidden, hidden)


def _gelu_erf(b, x):
    inner = b.op("Erf", [b.op("Div", [x, b.init(np.float32(math.sqrt(2.0)))])])
    y = b.op("Mul", [x, b.op("Add", [inner, b.init(np.float32(1.0))])])
    return b.op("Mul", [y, b.init(np.float32(0.5))])


def transformer_encoder(batch=1, seq_len=16, vocab=100, hidden=64, heads=4, layers=2, ffn=128,
                        seed=0, opset=17):
    """A BERT-style encoder with attention; outputs the hidden states and a pooled vector."""
    b = _Builder(seed)
    words = b.op("Gather", [b.init(b.normal((vocab, hidden), 0.5)), "input_ids"], axis=0)
    # position ids: Range(0, seq) expanded to the shape of input_ids
    shape = b.op("Shape", ["input_ids"])
    seq = b.op("Gather", [shape, b.init(np.int64(1))], axis=0)
    positions = b.op("Range", [b.init(np.int64(0)), seq, b.init(np.int64(1))])
    positions = b.op("Expand", [b.op("Unsqueeze", [positions, b.ints([0])]), shape])
    pos_emb = b.op("Gather", [b.init(b.normal((seq_len, hidden), 0.5)), positions], axis=0)
    x = _layer_norm(b, b.op("Add", [words, pos_emb]), hidden)
    # attention mask (B, S) of 0/1 -> additive bias (B, 1, 1, S)
    mask = b.op("Unsqueeze", ["attention_mask", b.ints([1, 2])])
    mask_bias = b.op("Where", [b.op("Equal", [mask, b.init(np.int64(0))]),
                               b.init(np.float32(-10000.0)), b.init(np.float32(0.0))])
    for _ in range(layers):
        x = _layer_norm(b, b.op("Add", [x, _attention(b, x, mask_bias, hidden, heads)]), hidden)
        y = _linear(b, _gelu_erf(b, _linear(b, x, hidden, ffn)), ffn, hidden)
        x = _layer_norm(b, b.op("Add", [x, y]), hidden)
    first = b.op("Gather", [x, b.init(np.int64(0))], axis=1)
    pooled = b.op("Tanh", [b.op("Gemm", [first, b.init(b.normal((hidden, hidden), 0.1)),
                                         b.init(b.normal((hidden,), 0.02))])])
    b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    b.nodes.append(helper.make_node("Identity", [pooled], ["pooled"]))
    return b.model(
        "transformer_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [batch, seq_len]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [batch, seq_len])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                       [batch, seq_len, hidden]),
         helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [batch, hidden])], opset,
        metadata={"vocab_size": vocab})


MODELS = {
    "resnet_style": resnet_style,
    "mobilenet_v2_style": mobilenet_v2_style,
    "transformer_encoder": transformer_encoder,
}


def sample_inputs(model, seed=0, batch=1):
    """Random valid inputs for a model of this module: ``{name: numpy array}``.

    ``batch`` is the size given to symbolic dimensions (``batch="N"`` in a builder).
    """
    rng = np.random.default_rng(seed)
    props = {p.key: p.value for p in model.metadata_props}
    inputs = {}
    for value_info in model.graph.input:
        shape = [d.dim_value if d.HasField("dim_value") else batch
                 for d in value_info.type.tensor_type.shape.dim]
        elem = value_info.type.tensor_type.elem_type
        if value_info.name == "input_ids":
            inputs[value_info.name] = rng.integers(0, int(props["vocab_size"]), shape).astype("int64")
        elif value_info.name == "attention_mask":
            mask = np.ones(shape, "int64")
            mask[:, shape[1] - shape[1] // 4:] = 0  # padding at the end
            inputs[value_info.name] = mask
        elif elem == TensorProto.FLOAT:
            inputs[value_info.name] = rng.standard_normal(shape).astype("float32")
        else:
            raise ValueError(f"no sample for input {value_info.name!r}")
    return inputs


def main(argv):
    """``models.py NAME OUT.onnx``: save one of :data:`MODELS`."""
    if len(argv) != 2 or argv[0] not in MODELS:
        print(f"usage: models.py {{{','.join(MODELS)}}} OUT.onnx", file=sys.stderr)
        return 2
    onnx.save(MODELS[argv[0]](), argv[1])
    print(f"saved {argv[0]} to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
