"""Converters: attention, and the fused transformer kernels torch's fast paths call.

``F.scaled_dot_product_attention`` appears as ``aten::scaled_dot_product_attention``
in both graph kinds. A module traced under ``torch.no_grad()`` takes torch's
inference fast paths: ``nn.MultiheadAttention`` becomes
``aten::_native_multi_head_attention`` and ``nn.TransformerEncoderLayer``
becomes ``aten::_transformer_encoder_layer_fwd``; both are expanded here into
projections, batched matrix products and a softmax.
"""
import math

import numpy as np

from ... import op as _op_registry  # noqa: F401
from ...op import nn as _nn
from ...op import reduce as _reduce
from ...op import tensor as _tensor
from ...op import transform as _transform
from ._helpers import dtype_of, shape_of, to_expr
from ._ops_math import batched_matmul
from ._registry import register

__all__ = ["attention"]


def _mask_scores(ctx, scores, mask):
    """Apply an SDPA-style mask: boolean True keeps a score, a float mask is added."""
    if mask is None:
        return scores
    if dtype_of(mask) == "bool":
        neg_inf = to_expr(-np.inf, dtype_of(scores))
        return _transform.where(mask, scores, neg_inf)
    return _tensor.add(scores, mask)


def attention(ctx, query, key, value, mask=None, is_causal=False, scale=None):
    """``softmax(q k^T * scale + mask) v`` over the last two axes; leading axes broadcast."""
    qshape, kshape = shape_of(query), shape_of(key)
    dtype = dtype_of(query)
    if scale is None:
        scale = 1.0 / math.sqrt(qshape[-1])
    rank = len(kshape)
    key_t = _transform.transpose(key, list(range(rank - 2)) + [rank - 1, rank - 2])
    scores = _tensor.multiply(batched_matmul(query, key_t), to_expr(float(scale), dtype))
    if is_causal:
        length, source = qshape[-2], kshape[-2]
        causal = to_expr(np.tril(np.ones((length, source), dtype=bool)), "bool")
        scores = _transform.where(causal, scores, to_expr(-np.inf, dtype))
    scores = _mask_scores(ctx, scores, mask)
    probs = _nn.softmax(scores, -1)
    return batched_matmul(probs, value), probs


@register("aten::scaled_dot_product_attention")
def _sdpa(ctx, inputs):
    query, key, value, mask, dropout_p, is_causal = inputs[:6]
    scale = inputs[6] if len(inputs) > 6 else None
    enable_gqa = inputs[7] if len(inputs) > 7 else False
    if dropout_p:
        raise ctx.unsupported("dropout_p > 0 (dropout in attention at inference)")
    if enable_gqa and shape_of(query)[-3] != shape_of(key)[-3]:
        groups = shape_of(query)[-3] // shape_of(key)[-3]
        key = _transform.repeat(key, groups, len(shape_of(key)) - 3)
        value = _transform.repeat(value, groups, len(shape_of(value)) - 3)
    return attention(ctx, query, key, value, mask, bool(is_causal), scale)[0]


def _linear(data, weight, bias):
    shape = shape_of(data)
    out = _nn.dense(_transform.reshape(data, (-1, shape[-1])), weight)
    if bias is not None:
        out = _nn.bias_add(out, bias, axis=-1)
    return _transform.reshape(out, tuple(shape[:-1]) + (shape_of(weight)[0],))


def _rows(tensor, begin, end):
    return _transform.strided_slice(tensor, [begin], [end], axes=[0])


def _mha_mask(ctx, mask, mask_type, batch, heads, length, source):
    """An additive float mask broadcastable to the scores ``(B, H, L, S)``.

    ``nn.MultiheadAttention`` masks say where attention is *not* allowed: a boolean
    True, or a float ``-inf`` (what torch's fast paths receive after converting
    boolean masks), added to the scores. ``mask_type`` 1 is a key padding mask
    ``(B, S)``; otherwise a 2-d mask is ``(L, S)``, a 3-d one ``(B * H, L, S)``.
    """
    shape = shape_of(mask)
    if len(shape) == 2 and mask_type == 1:
        mask = _transform.reshape(mask, (batch, 1, 1, source))
    elif len(shape) == 3:
        mask = _transform.reshape(mask, (batch, heads, length, source))
    elif len(shape) not in (2, 4):
        raise ctx.unsupported(f"an attention mask of shape {shape}")
    if dtype_of(mask) == "bool":
        zero = to_expr(0.0, "float32")
        return _transform.where(mask, to_expr(-np.inf, "float32"), zero)
    return mask


def multi_head_attention(ctx, query, key, value, embed_dim, heads, qkv_weight, qkv_bias,
                         proj_weight, proj_bias, mask=None, mask_type=None):
    """Batch-first multi-head attention with packed input projections.

    Returns the output ``(B, L, E)`` and the per-head attention weights ``(B, H, L, S)``.
    """
    embed, heads = int(embed_dim), int(heads)
    head_dim = embed // heads
    batch, length = shape_of(query)[:2]
    source = shape_of(key)[1]
    projected = []
    for index, (tensor, size) in enumerate(((query, length), (key, source), (value, source))):
        weight = _rows(qkv_weight, index * embed, (index + 1) * embed)
        bias = None if qkv_bias is None else _rows(qkv_bias, index * embed, (index + 1) * embed)
        out = _linear(tensor, weight, bias)
        out = _transform.reshape(out, (batch, size, heads, head_dim))
        projected.append(_transform.transpose(out, (0, 2, 1, 3)))
    if mask is not None:
        mask = _mha_mask(ctx, mask, mask_type, batch, heads, length, source)
    context, probs = attention(ctx, *projected, mask=mask)
    context = _transform.reshape(_transform.transpose(context, (0, 2, 1, 3)),
                                 (batch, length, embed))
    return _linear(context, proj_weight, proj_bias), probs


@register("aten::_native_multi_head_attention")
def _native_mha(ctx, inputs):
    (query, key, value, embed_dim, heads, qkv_weight, qkv_bias, proj_weight, proj_bias, mask,
     need_weights, average, mask_type) = inputs[:13]
    out, probs = multi_head_attention(ctx, query, key, value, embed_dim, heads, qkv_weight,
                                      qkv_bias, proj_weight, proj_bias, mask, mask_type)
    if not need_weights:
        return out, to_expr(np.zeros((0,), dtype="float32"), dtype_of(out))
    if average:
        probs = _reduce.mean(probs, [1])
    return out, probs


def _layer_norm(data, weight, bias, eps):
    return _nn.layer_norm(data, weight, bias, axis=-1, epsilon=float(eps))


@register("aten::_transformer_encoder_layer_fwd")
def _encoder_layer(ctx, inputs):
    (src, embed_dim, heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu, norm_first,
     eps, norm_w1, norm_b1, norm_w2, norm_b2, ffn_w1, ffn_b1, ffn_w2, ffn_b2, mask,
     mask_type) = inputs[:20]

    def self_attention(x):
        return multi_head_attention(ctx, x, x, x, embed_dim, heads, qkv_weight, qkv_bias,
                                    proj_weight, proj_bias, mask, mask_type)[0]

    def feed_forward(x):
        hidden = _linear(x, ffn_w1, ffn_b1)
        if use_gelu:
            from ._ops_activation import _gelu  # pylint: disable=import-outside-toplevel

            hidden = _gelu(ctx, [hidden, "none"])
        else:
            hidden = _nn.relu(hidden)
        return _linear(hidden, ffn_w2, ffn_b2)

    if norm_first:
        x = _tensor.add(src, self_attention(_layer_norm(src, norm_w1, norm_b1, eps)))
        return _tensor.add(x, feed_forward(_layer_norm(x, norm_w2, norm_b2, eps)))
    x = _layer_norm(_tensor.add(src, self_attention(src)), norm_w1, norm_b1, eps)
    return _layer_norm(_tensor.add(x, feed_forward(x)), norm_w2, norm_b2, eps)
