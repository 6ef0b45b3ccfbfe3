"""Features of configs for the cost model.

* ``"knob"``: the knob values of the config (log2 of split sizes, entity
  indices): free to compute.
* ``"itervar"``: features of the scheduled TensorIR: for the loop nest of the
  deepest block (the kernel's main computation), per loop (outer to inner):
  log2 of its extent, its kind (serial/parallel/vectorized/unrolled) and, for
  each buffer the block touches, whether the loop variable indexes the
  buffer's innermost dimension (contiguous access), another dimension
  (strided) or none (reuse). The template is instantiated to get them.
"""
import math

import numpy as np

MAX_LOOPS = 12
MAX_BUFFERS = 3
_KINDS = {"serial": 0, "parallel": 1, "vectorized": 2, "unrolled": 3}
_CHILD_STMT = ("body", "block", "then_case", "else_case")
_CHILD_EXPR = ("a", "b", "value", "condition", "true_value", "false_value", "base", "stride")


def get_knob_feature(config):
    """The ``"knob"`` feature of a ConfigEntity."""
    return config.get_flatten_feature()


def _expr_vars(expr, out):
    kind = type(expr).__name__
    if kind in ("Var", "SizeVar"):
        out.add(expr)
        return out
    for attr in _CHILD_EXPR:
        child = getattr(expr, attr, None)
        if child is not None and not isinstance(child, (int, float, str)):
            _expr_vars(child, out)
    for attr in ("args", "indices"):
        for child in getattr(expr, attr, None) or []:
            _expr_vars(child, out)
    return out


def _walk(stmt, loops, found):
    kind = type(stmt).__name__
    if kind == "For":
        loops = loops + [stmt]
    if kind == "SBlockRealize":
        found.append((list(loops), stmt))
    if kind == "SeqStmt":
        for child in stmt.seq:
            _walk(child, loops, found)
        return
    for attr in _CHILD_STMT:
        child = getattr(stmt, attr, None)
        if child is not None and hasattr(child, "__class__") and type(child).__name__ not in ("str",):
            try:
                _walk(child, loops, found)
            except AttributeError:
                pass


def itervar_feature_of_func(prim_func):
    """The ``"itervar"`` feature vector of a scheduled PrimFunc."""
    found = []
    _walk(prim_func.body, [], found)
    feature = np.zeros(MAX_LOOPS * (5 + MAX_BUFFERS), dtype=np.float32)
    if not found:
        return feature
    loops, realize = max(
        found,
        key=lambda item: (len(item[0]), any(iv.iter_type == 2 for iv in item[1].block.iter_vars)),
    )
    block = realize.block
    # block var -> loop vars its binding uses
    binding = {}
    for iv, value in zip(block.iter_vars, realize.iter_values):
        binding[iv.var] = _expr_vars(value, set())
    accesses = list(block.writes) + list(block.reads)
    accesses = accesses[:MAX_BUFFERS]
    per_access = []
    for region in accesses:
        dims = []
        for rng in region.region:
            block_vars = _expr_vars(rng.min, set())
            loop_vars = set()
            for var in block_vars:
                loop_vars |= binding.get(var, {var})
            dims.append(loop_vars)
        per_access.append(dims)
    loops = loops[-MAX_LOOPS:]
    width = 5 + MAX_BUFFERS
    for i, loop in enumerate(loops):
        base = i * width
        extent = loop.extent
        extent = int(extent.value) if hasattr(extent, "value") else 1
        feature[base] = math.log2(extent + 1)
        kind = loop.kind
        try:
            kind = int(kind)  # tirx.ForKind: 0 serial, 1 parallel, 2 vectorized, 3 unrolled
        except (TypeError, ValueError):
            kind = _KINDS.get(str(kind).rsplit(".", 1)[-1].lower(), 0)
        feature[base + 1 + (kind if 0 <= kind < 4 else 0)] = 1.0
        for j, dims in enumerate(per_access):
            if dims and loop.loop_var in dims[-1]:
                feature[base + 5 + j] = 2.0  # contiguous
            elif any(loop.loop_var in d for d in dims):
                feature[base + 5 + j] = 1.0  # strided
    return feature


def get_itervar_feature(task, config):
    """The ``"itervar"`` feature of ``config`` of ``task`` (instantiates the template)."""
    try:
        sch, _ = task.instantiate(config)
    except Exception:  # pylint: disable=broad-except
        return None
    funcs = list(sch.mod.functions.values())
    return itervar_feature_of_func(funcs[0])
