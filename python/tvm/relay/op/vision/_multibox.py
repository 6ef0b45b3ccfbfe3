"""TE computes of the SSD ops ``vision.multibox_prior`` and
``vision.multibox_transform_loc`` (upstream 0.8 semantics).

The base's ``topi.vision`` has neither in this form (its
``multibox_transform_loc`` is the TFLite decode with other outputs), so they are
written here in plain TE. Compacting the valid boxes to the front is done with
two reductions over the anchors (a rank per anchor, then the anchor of each
rank), quadratic in the number of anchors: simple and exact, fine for the
anchor counts of SSD-style models, not tuned for speed.
"""
import math

from tvm import te, tirx, topi


def _select_chain(index, values, dtype):
    """``values[index]`` for a small Python list of floats."""
    out = tirx.const(values[-1], dtype)
    for i in range(len(values) - 2, -1, -1):
        out = tirx.Select(index == i, tirx.const(values[i], dtype), out)
    return out


def _clip01(value, dtype):
    return tirx.max(tirx.min(value, tirx.const(1.0, dtype)), tirx.const(0.0, dtype))


def anchor_shapes(sizes, ratios, height, width):
    """Half widths and half heights of the anchors at one location, in upstream order:
    every size (square, the first ratio is not applied, as upstream), then the
    first size with each further ratio."""
    shapes = []
    for size in sizes:
        shapes.append((size * height / width / 2, size / 2))
    for ratio in ratios[1:]:
        shapes.append((sizes[0] * height / width * math.sqrt(ratio) / 2, sizes[0] / math.sqrt(ratio) / 2))
    return shapes


def multibox_prior_compute(attrs, inputs, out_type):
    data = inputs[0]
    dtype = out_type.dtype
    height, width = int(data.shape[2]), int(data.shape[3])
    shapes = anchor_shapes([float(s) for s in attrs.sizes], [float(r) for r in attrs.ratios],
                           height, width)
    per_loc = len(shapes)
    step_h = attrs.steps[0] if attrs.steps[0] > 0 else 1.0 / height
    step_w = attrs.steps[1] if attrs.steps[1] > 0 else 1.0 / width
    half_w = [w for w, _ in shapes]
    half_h = [h for _, h in shapes]

    def box(_, idx, coord):
        s = tirx.floormod(idx, per_loc)
        cell = tirx.floordiv(idx, per_loc)
        row, col = tirx.floordiv(cell, width), tirx.floormod(cell, width)
        cy = (row.astype(dtype) + tirx.const(attrs.offsets[0], dtype)) * tirx.const(step_h, dtype)
        cx = (col.astype(dtype) + tirx.const(attrs.offsets[1], dtype)) * tirx.const(step_w, dtype)
        hw, hh = _select_chain(s, half_w, dtype), _select_chain(s, half_h, dtype)
        value = tirx.Select(
            coord == 0, cx - hw, tirx.Select(coord == 1, cy - hh, tirx.Select(coord == 2, cx + hw, cy + hh))
        )
        return _clip01(value, dtype) if attrs.clip else value

    return [te.compute((1, height * width * per_loc, 4), box, name="multibox_prior")]


def multibox_transform_loc_compute(attrs, inputs, out_type):
    cls_prob, loc_pred, anchor = inputs
    dtype = cls_prob.dtype
    batch, num_classes, num_anchors = cls_prob.shape
    if int(num_classes) < 2:
        raise ValueError("vision.multibox_transform_loc needs a background class and at least one other")
    foreground = topi.strided_slice(cls_prob, [0, 1, 0], [batch, num_classes, num_anchors])
    best = topi.argmax(foreground, axis=1)  # class id - 1
    score = topi.max(foreground, axis=1)
    threshold = tirx.const(attrs.threshold, dtype)
    valid = te.compute((batch, num_anchors),
                       lambda b, j: (score[b, j] >= threshold).astype("int32"), name="valid")
    k = te.reduce_axis((0, num_anchors), name="k")
    # (te.sum's ``where=`` is not honoured by te.create_prim_func in the base,
    # so the conditions are written as selects.)
    zero = tirx.const(0, "int32")
    rank = te.compute((batch, num_anchors),
                      lambda b, j: te.sum(tirx.if_then_else(k < j, valid[b, k], zero), axis=k),
                      name="rank")
    count = topi.sum(valid, axis=1)
    k2 = te.reduce_axis((0, num_anchors), name="k2")
    source = te.compute(
        (batch, num_anchors),
        lambda b, p: te.sum(
            tirx.if_then_else(tirx.all(valid[b, k2] == 1, rank[b, k2] == p), k2, zero), axis=k2),
        name="source",
    )
    vx, vy, vw, vh = (tirx.const(float(v), dtype) for v in attrs.variances)
    half = tirx.const(0.5, dtype)

    def decode(b, j, coord):
        left, top, right, bottom = (anchor[0, j, i] for i in range(4))
        aw, ah = right - left, bottom - top
        ax, ay = (left + right) * half, (top + bottom) * half
        ox = loc_pred[b, j * 4] * vx * aw + ax
        oy = loc_pred[b, j * 4 + 1] * vy * ah + ay
        ow = te.exp(loc_pred[b, j * 4 + 2] * vw) * aw * half
        oh = te.exp(loc_pred[b, j * 4 + 3] * vh) * ah * half
        value = tirx.Select(
            coord == 0, ox - ow, tirx.Select(coord == 1, oy - oh, tirx.Select(coord == 2, ox + ow, oy + oh))
        )
        return _clip01(value, dtype) if attrs.clip else value

    def row(b, p, c):
        j = source[b, p]
        value = tirx.Select(
            c == 0, best[b, j].astype(dtype), tirx.Select(c == 1, score[b, j], decode(b, j, c - 2))
        )
        return tirx.Select(p < count[b], value, tirx.const(-1.0, dtype))

    out = te.compute((batch, num_anchors, 6), row, name="multibox_transform_loc")
    return [out, count]
