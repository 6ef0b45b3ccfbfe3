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
