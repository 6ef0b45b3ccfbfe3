"""Storage planning for the graph executor.

Every tensor a kernel produces needs a buffer; buffers whose lifetimes do not
overlap can share one storage. Lifetimes follow the execution order of the
graph (its node order): a kernel's output is live from the kernel until its
last reader. Graph inputs, parameters and graph outputs are never shared.

Reuse policy (greedy, as upstream's): a released storage is taken by the next
tensor of the same dtype whose size is within a factor of ``MATCH_RANGE`` of it,
the closest size first; the storage grows to the largest tensor it holds.
"""
import numpy as np

MATCH_RANGE = 16


def tensor_bytes(shape, dtype):
    """Size in bytes of a dense tensor."""
    return int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


class StoragePlan:
    """Storage ids per graph entry and the size of each storage."""

    def __init__(self):
        self.storage_sizes = []  # bytes per storage id
        self.storage_dtypes = []
        self._free = []  # released storage ids

    def new_storage(self, size, dtype):
        self.storage_sizes.append(size)
        self.storage_dtypes.append(dtype)
        return len(self.storage_sizes) - 1

    def request(self, size, dtype):
        """A storage id for a tensor of ``size`` bytes, reusing a free one if fitting."""
        best, best_gap = None, None
        for sid in self._free:
            if self.storage_dtypes[sid] != dtype:
                continue
            have = self.storage_sizes[sid]
            if size > have * MATCH_RANGE or have > max(size, 1) * MATCH_RANGE:
                continue
            gap = abs(have - size)
            if best is None or gap < best_gap:
                best, best_gap = sid, gap
        if best is None:
            return self.new_storage(size, dtype)
        self._free.remove(best)
        self.storage_sizes[best] = max(self.storage_sizes[best], size)
        return best

    def release(self, sid):
        if sid not in self._free:
            self._free.append(sid)


def plan_memory(nodes, entry_types, heads, aliases=None):
    """Assign a storage id to each graph entry.

    Parameters
    ----------
    nodes : list of dict
        Graph nodes in execution order (``op`` is ``"null"`` or ``"tvm_op"``,
        ``inputs`` are ``[node_id, index, version]``).
    entry_types : list of list of (shape, dtype)
        The output types of each node.
    heads : list of [node_id, index, version]
        The graph outputs.
    aliases : dict of int to (int, int), optional
        Nodes whose one output is a view of another entry's storage (the
        ``__nop`` reshapes): node id -> (node id, output index) viewed. A
        storage is released when no entry on it has readers left.

    Returns
    -------
    storage_ids : list of list of int
        Per node, the storage id of each output.
    plan : StoragePlan
    """
    aliases = aliases or {}
    plan = StoragePlan()
    readers = {}
    for node in nodes:
        for nid, index, _ in node["inputs"]:
            readers[(nid, index)] = readers.get((nid, index), 0) + 1
    pinned = {(nid, index) for nid, index, _ in heads}
    pending = {}  # storage id -> reads still to come of the entries on it (+1 when pinned)
    storage_ids = []
    for node_id, node in enumerate(nodes):
        ids = []
        for index, (shape, dtype) in enumerate(entry_types[node_id]):
            key = (node_id, index)
            if node_id in aliases:
                src_nid, src_index = aliases[node_id]
                sid = storage_ids[src_nid][src_index]
            elif node["op"] == "null" or key in pinned:
                sid = plan.new_storage(tensor_bytes(shape, dtype), dtype)
            else:
                sid = plan.request(tensor_bytes(shape, dtype), dtype)
            ids.append(sid)
            if node["op"] != "null":
                pending[sid] = pending.get(sid, 0) + readers.get(key, 0) + (key in pinned)
        storage_ids.append(ids)
        if node["op"] != "null":  # an output nobody reads is dead at once
            for sid in ids:
                if pending[sid] == 0:
                    plan.release(sid)
        for nid, index, _ in node["inputs"]:
            if nodes[nid]["op"] == "null":
                continue
            sid = storage_ids[nid][index]
            pending[sid] -= 1
            if pending[sid] == 0:
                plan.release(sid)
    return storage_ids, plan


# -- 0.8's expression-level plan: relay.backend._backend.GraphPlanMemory(func) -----------


class StorageInfo:
    """0.8's ``relay.backend.StorageInfo`` of one expression: the storage id,
    device type (1: the CPU) and byte size of each tensor it produces."""

    def __init__(self, storage_ids, device_types, storage_sizes):
        self.storage_ids = list(storage_ids)
        self.device_types = list(device_types)
        self.storage_sizes = list(storage_sizes)

    def __repr__(self):
        return (f"StorageInfo(storage_ids={self.storage_ids}, "
                f"storage_sizes={self.storage_sizes})")


class StaticMemoryPlan:
    """0.8's ``StaticMemoryPlan``: ``expr_to_storage_info`` maps each expression of
    the planned function to its :class:`StorageInfo`."""

    def __init__(self, expr_to_storage_info):
        self.expr_to_storage_info = expr_to_storage_info


class _Token:
    __slots__ = ("sid", "bytes", "size", "readers")

    def __init__(self, size):
        self.sid, self.bytes, self.size, self.readers = None, size, size, 0


def _tensor_types(ty):
    from .. import ty as _ty  # pylint: disable=import-outside-toplevel

    if isinstance(ty, _ty.TupleType):
        return [t for field in ty.fields for t in _tensor_types(field)]
    return [ty]


def GraphPlanMemory(func):  # pylint: disable=invalid-name
    """Plan the storage of a fused, type-checked Relay function as TVM 0.8 did.

    Every tensor an expression produces gets a token; a parameter's or
    constant's token has a storage of its own, a call's output takes a released
    storage when one is within a factor of ``MATCH_RANGE`` of its size (the
    smallest one at least as large, else the largest smaller one, which then
    grows), else a new storage. A call's outputs are allocated before its
    inputs are released (no in-place reuse); the function's results are never
    released. Tuples and ``TupleGetItem`` alias the tensors of their fields.

    ``expr_to_storage_info`` is ordered from the function's result back to its
    parameters (reverse execution order); 0.8's map had no defined order.
    """
    from ..expr import Call, Constant, Tuple, TupleGetItem, Var  # pylint: disable=import-outside-toplevel
    from ..module import IRModule  # pylint: disable=import-outside-toplevel
    from ..transform import InferType  # pylint: disable=import-outside-toplevel

    try:  # a type-checked function is planned as it is (its exprs are the keys)
        func.body.checked_type  # pylint: disable=pointless-statement
    except Exception:  # pylint: disable=broad-except
        func = InferType()(IRModule.from_expr(func))["main"]

    order, seen, stack = [], set(), [(func.body, False)]
    while stack:  # post-order over the function's own dataflow (callees are opaque)
        expr, done = stack.pop()
        if done:
            order.append(expr)
            continue
        if id(expr) in seen:
            continue
        seen.add(id(expr))
        stack.append((expr, True))
        if isinstance(expr, Call):
            children = list(expr.args)
        elif isinstance(expr, Tuple):
            children = list(expr.fields)
        elif isinstance(expr, TupleGetItem):
            children = [expr.tuple_value]
        else:
            children = []
        stack.extend((child, False) for child in reversed(children))

    tokens = {}
    for param in func.params:
        tokens[id(param)] = [_Token(tensor_bytes(tuple(t.shape), t.dtype))
                             for t in _tensor_types(param.checked_type)]
    for expr in order:
        if id(expr) in tokens:
            continue
        if isinstance(expr, Tuple):
            tokens[id(expr)] = [t for f in expr.fields for t in tokens[id(f)]]
        elif isinstance(expr, TupleGetItem):
            fields = expr.tuple_value.checked_type.fields
            start = sum(len(_tensor_types(f)) for f in fields[:expr.index])
            width = len(_tensor_types(fields[expr.index]))
            tokens[id(expr)] = tokens[id(expr.tuple_value)][start:start + width]
        elif isinstance(expr, (Call, Constant, Var)):
            tokens[id(expr)] = [_Token(tensor_bytes(tuple(t.shape), t.dtype))
                                for t in _tensor_types(expr.checked_type)]
        else:
            raise ValueError(f"GraphPlanMemory: {type(expr).__name__} is not supported "
                             "(plan a dataflow function after FuseOps)")
    for expr in order:
        if isinstance(expr, Call):
            for arg in expr.args:
                for token in tokens[id(arg)]:
                    token.readers += 1
    for token in tokens[id(func.body)]:
        token.readers += 1  # results stay live

    sizes, free = [], []  # free: storage ids released

    def new_storage(token):
        token.sid = len(sizes)
        sizes.append(token.bytes)

    def request(token):
        fitting = [sid for sid in free
                   if token.bytes // MATCH_RANGE <= sizes[sid] <= token.bytes * MATCH_RANGE]
        larger = [sid for sid in fitting if sizes[sid] >= token.bytes]
        smaller = [sid for sid in fitting if sizes[sid] < token.bytes]
        if larger:
            sid = min(larger, key=lambda s: (sizes[s], s))
        elif smaller:
            sid = max(smaller, key=lambda s: (sizes[s], -s))
        else:
            new_storage(token)
            return
        free.remove(sid)
        sizes[sid] = max(sizes[sid], token.bytes)
        token.sid = sid

    for param in func.params:
        for token in tokens[id(param)]:
            new_storage(token)
    for expr in order:
        if isinstance(expr, (Var, Constant)) and tokens[id(expr)][0].sid is None:
            for token in tokens[id(expr)]:
                new_storage(token)
        elif isinstance(expr, Call):
            for token in tokens[id(expr)]:
                request(token)
            for arg in expr.args:
                for token in tokens[id(arg)]:
                    if isinstance(arg, (Var, Constant)):
                        continue
                    token.readers -= 1
                    if token.readers == 0:
                        free.append(token.sid)

    info = {}
    for expr in reversed(order):
        toks = tokens[id(expr)]
        info[expr] = StorageInfo([t.sid for t in toks], [1] * len(toks), [t.size for t in toks])
    for param in func.params:
        if param not in info:
            toks = tokens[id(param)]
            info[param] = StorageInfo([t.sid for t in toks], [1] * len(toks),
                                      [t.size for t in toks])
    return StaticMemoryPlan(info)
