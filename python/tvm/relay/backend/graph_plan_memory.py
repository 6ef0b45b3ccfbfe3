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


def plan_memory(nodes, entry_types, heads):
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

    Returns
    -------
    storage_ids : list of list of int
        Per node, the storage id of each output.
    plan : StoragePlan
    """
    plan = StoragePlan()
    readers = {}
    for node in nodes:
        for nid, index, _ in node["inputs"]:
            readers[(nid, index)] = readers.get((nid, index), 0) + 1
    pinned = {(nid, index) for nid, index, _ in heads}
    storage_ids = []
    for node_id, node in enumerate(nodes):
        ids = []
        for index, (shape, dtype) in enumerate(entry_types[node_id]):
            size = tensor_bytes(shape, dtype)
            if node["op"] == "null" or (node_id, index) in pinned:
                ids.append(plan.new_storage(size, dtype))
            else:
                ids.append(plan.request(size, dtype))
        storage_ids.append(ids)
        # An output nobody reads is dead at once.
        if node["op"] != "null":
            for index, sid in enumerate(ids):
                if readers.get((node_id, index), 0) == 0 and (node_id, index) not in pinned:
                    plan.release(sid)
        for nid, index, _ in node["inputs"]:
            key = (nid, index)
            readers[key] -= 1
            if readers[key] == 0 and nodes[nid]["op"] != "null" and key not in pinned:
                plan.release(storage_ids[nid][index])
    return storage_ids, plan
