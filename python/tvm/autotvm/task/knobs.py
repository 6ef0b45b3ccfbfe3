"""The knobs of a config space: one transform space and its entities per kind.

* :class:`SplitSpace` / :class:`SplitEntity`: split a loop (``define_split``);
* :class:`ReorderSpace` / :class:`ReorderEntity`: order loops (``define_reorder``);
* :class:`AnnotateSpace` / :class:`AnnotateEntity`: unroll/vectorise/parallelise
  loops (``define_annotate``);
* :class:`OtherOptionSpace` / :class:`OtherOptionEntity`: pick a value
  (``define_knob``).

Entities apply to ``tvm.s_tir.Schedule`` loops.
"""
import functools
import itertools

import numpy as np

import tvm

class InstantiationError(ValueError):
    """Raised by a template (``cfg.raise_error``) for an invalid config."""


def _axis_length(axis):
    """Extent of an axis given as int, VirtualAxis, te IterVar, tirx.For or a loop extent."""
    if isinstance(axis, VirtualAxis):
        return axis.length
    if isinstance(axis, (int, np.integer)):
        return int(axis)
    if isinstance(axis, tvm.tirx.IntImm):
        return int(axis.value)
    dom = getattr(axis, "dom", None)
    if dom is not None:
        return _axis_length(dom.extent)
    extent = getattr(axis, "extent", None)
    if extent is not None:
        return _axis_length(extent)
    raise TypeError(
        f"cannot tell the length of axis {axis!r} ({type(axis).__name__}); pass an int, "
        "a te IterVar, a tirx.For or cfg.axis(...)"
    )


class VirtualAxis:
    """A named axis of known length, used to define knobs (``cfg.axis(x)``)."""

    name_ct = 0

    def __init__(self, var, name=None):
        self.length = _axis_length(var)
        if name is None:
            name = getattr(getattr(var, "var", None), "name", None) or f"axis_{VirtualAxis.name_ct}"
            VirtualAxis.name_ct += 1
        self.name = name

    def __repr__(self):
        return f"VirtualAxis({self.name}, {self.length})"


class TransformSpace:
    """Base class of the space of one knob: a list of entities."""

    def __init__(self):
        self.ins = []
        self.num_output = 0
        self.entities = []

    def __len__(self):
        return len(self.entities)

    def __getitem__(self, index):
        return self.entities[index]

    @staticmethod
    def get_num_output():
        """Number of output axes of the transform (0 for annotations)."""
        return 0


@functools.lru_cache(maxsize=None)
def _divisors(n):
    return tuple(d for d in range(1, n + 1) if n % d == 0)


class SplitSpace(TransformSpace):
    """Ways to split an axis into ``num_outputs`` nested loops.

    Parameters
    ----------
    axes : list of VirtualAxis (one)
    policy : str
        ``"factors"``: every ordered factorisation of the length (perfect
        splits); ``"power2"``: inner factors are powers of two (the outer loop
        may have a tail); ``"verbose"``: the union of both.
    num_outputs : int
    max_factor : int
        Upper bound of every inner factor.
    filter : callable
        ``filter(SplitEntity) -> bool``; entities returning False are dropped.
    """

    def __init__(self, axes, policy, **kwargs):
        super().__init__()
        axis = axes[0]
        self.policy = policy
        self.product = axis.length
        self.num_output = kwargs.get("num_outputs", 0)
        if self.num_output < 2:
            raise ValueError(f"define_split needs num_outputs >= 2, got {self.num_output}")
        max_factor = kwargs.get("max_factor", 1 << 31)
        fil = kwargs.get("filter", lambda x: True)
        if policy == "candidate":
            for size in kwargs["candidate"]:
                if len(size) != self.num_output:
                    raise ValueError(f"split candidate {size} needs {self.num_output} factors")
                inner = int(np.prod([s for s in size[1:]]))
                if inner > self.product or (size[0] != -1 and size[0] * inner != self.product):
                    raise ValueError(f"split candidate {size} does not fit length {self.product}")
                entity = SplitEntity(size)
                if fil(entity):
                    self.entities.append(entity)
            if not self.entities:
                raise ValueError(f"split of an axis of length {self.product} has no valid entity")
            return
        if policy not in ("factors", "power2", "verbose"):
            raise ValueError(f"unknown split policy {policy!r} (factors, power2, verbose, candidate)")
        seen = set()
        for sizes in self._inner_sizes(policy, max_factor):
            if sizes in seen:
                continue
            seen.add(sizes)
            inner = int(np.prod(sizes)) if sizes else 1
            if inner > self.product:
                continue
            outer = self.product // inner if self.product % inner == 0 else -1
            entity = SplitEntity([outer] + list(sizes))
            if fil(entity):
                self.entities.append(entity)
        if not self.entities:
            raise ValueError(f"split of an axis of length {self.product} has no valid entity")

    def _inner_sizes(self, policy, max_factor):
        n_inner = self.num_output - 1
        candidates = []
        if policy in ("factors", "verbose"):
            candidates.append(
                lambda rest: [d for d in _divisors(rest) if d <= max_factor]
            )
        if policy in ("power2", "verbose"):
            candidates.append(
                lambda rest: [1 << i for i in range(32) if (1 << i) <= min(self.product, max_factor)]
            )
        out = []
        for cand in candidates:
            perfect = cand is candidates[0] and policy != "power2"

            def rec(prefix, rest, cand=cand, perfect=perfect):
                if len(prefix) == n_inner:
                    out.append(tuple(prefix))
                    return
                for d in cand(rest):
                    rec(prefix + [d], rest // d if perfect else rest)

            rec([], self.product)
        # innermost factor last: reverse the recursion order so tuples read outer->inner
        return [tuple(reversed(s)) for s in out]

    @staticmethod
    def get_num_output(axes, policy, **kwargs):
        return kwargs["num_outputs"]

    def __repr__(self):
        return (
            f"Split(policy={self.policy}, product={self.product}, "
            f"num_outputs={self.num_output}) len={len(self)}"
        )


class SplitEntity:
    """A split of one axis: ``size`` lists the loop extents, outer first.

    ``size[0] == -1`` means "whatever is left" (the outer extent is inferred).
    """

    def __init__(self, size):
        self.size = list(size)

    def apply(self, sch, loop):
        """Split TensorIR ``loop`` of ``sch``; returns the new loops, outer first."""
        return list(sch.split(loop, factors=[None] + [int(s) for s in self.size[1:]]))

    def __repr__(self):
        return str(self.size)

    def __eq__(self, other):
        return isinstance(other, SplitEntity) and self.size == other.size

    def __hash__(self):
        return hash(tuple(self.size))


class ReorderSpace(TransformSpace):
    """Orders of a list of loops.

    ``policy`` is ``"identity"``, ``"all"`` (every permutation) or
    ``"candidate"`` (``candidate=[[axis, ...], ...]`` lists the orders).
    """

    def __init__(self, axes, policy, **kwargs):
        super().__init__()
        self.ins = axes
        self.policy = policy
        self.num_output = len(axes)
        if policy == "identity":
            self.entities = [ReorderEntity(range(len(axes)))]
        elif policy == "all":
            self.entities = [ReorderEntity(p) for p in itertools.permutations(range(len(axes)))]
        elif policy == "candidate":
            names = [a.name for a in axes]
            for order in kwargs["candidate"]:
                perm = []
                for item in order:
                    name = item.name if isinstance(item, VirtualAxis) else item
                    if name not in names:
                        raise ValueError(f"reorder candidate names unknown axis {name!r}")
                    perm.append(names.index(name))
                self.entities.append(ReorderEntity(perm))
        else:
            raise ValueError(f"unknown reorder policy {policy!r} (identity, all, candidate)")

    @staticmethod
    def get_num_output(axes, policy, **kwargs):
        return len(axes)

    def __repr__(self):
        return f"Reorder(policy={self.policy}) len={len(self)}"


class ReorderEntity:
    """A permutation of loops: ``perm[i]`` is the index of the i-th loop."""

    def __init__(self, perm):
        self.perm = list(perm)

    def apply(self, sch, loops):
        """Reorder ``loops`` (a list of TensorIR loop RVs) of ``sch``; returns them reordered."""
        ordered = [loops[i] for i in self.perm]
        if len(ordered) > 1:
            sch.reorder(*ordered)
        return ordered

    def __repr__(self):
        return str(self.perm)

    def __eq__(self, other):
        return isinstance(other, ReorderEntity) and self.perm == other.perm

    def __hash__(self):
        return hash(tuple(self.perm))


_ANNOTATE_POLICIES = {
    "none": ["none"],
    "try_unroll": ["none", "unroll"],
    "try_vec": ["none", "vec"],
    "try_unroll_vec": ["none", "unroll", "vec"],
    "try_parallel": ["none", "parallel"],
}


class AnnotateSpace(TransformSpace):
    """Annotations of a list of loops.

    ``policy`` is one of ``"try_unroll"``, ``"try_vec"``, ``"try_unroll_vec"``,
    ``"try_parallel"``: every loop takes one of the policy's annotations
    (``"none"``, ``"unroll"``, ``"vec"``, ``"parallel"``). Upstream also had
    GPU thread bindings and ``locate_cache``; they are not offered here.
    """

    def __init__(self, axes, policy, **kwargs):
        super().__init__()
        self.ins = axes
        self.policy = policy
        self.num_output = len(axes)
        if policy not in _ANNOTATE_POLICIES:
            raise ValueError(f"unknown annotate policy {policy!r} ({', '.join(_ANNOTATE_POLICIES)})")
        choices = _ANNOTATE_POLICIES[policy]
        self.entities = [AnnotateEntity(anns) for anns in itertools.product(choices, repeat=len(axes))]

    @staticmethod
    def get_num_output(axes, policy, **kwargs):
        return len(axes)

    def __repr__(self):
        return f"Annotate(policy={self.policy}) len={len(self)}"


class AnnotateEntity:
    """One annotation per loop (``"none"``, ``"unroll"``, ``"vec"``, ``"parallel"``)."""

    def __init__(self, anns):
        self.anns = list(anns)

    def apply(self, sch, loops, axis_lens=None, max_unroll=None, vec_size=None):
        """Annotate ``loops`` of ``sch``.

        ``max_unroll``: loops longer than this are not unrolled;
        ``vec_size``: only loops whose length is in this int or list are
        vectorised (``axis_lens`` gives the lengths).
        """
        for i, (loop, ann) in enumerate(zip(loops, self.anns)):
            length = axis_lens[i] if axis_lens is not None else None
            if ann == "unroll":
                if max_unroll is None or length is None or length <= max_unroll:
                    sch.unroll(loop)
            elif ann == "vec":
                allowed = [vec_size] if isinstance(vec_size, int) else vec_size
                if allowed is None or length is None or length in allowed:
                    sch.vectorize(loop)
            elif ann == "parallel":
                sch.parallel(loop)
            elif ann != "none":
                raise ValueError(f"unknown annotation {ann!r}")
        return loops

    def __repr__(self):
        return str(self.anns)

    def __eq__(self, other):
        return isinstance(other, AnnotateEntity) and self.anns == other.anns

    def __hash__(self):
        return hash(tuple(self.anns))


class OtherOptionSpace(TransformSpace):
    """A knob taking one value out of ``candidate``."""

    def __init__(self, axes, policy, **kwargs):
        super().__init__()
        candidate = kwargs["candidate"]
        if len(candidate) == 0:
            raise ValueError("define_knob needs at least one candidate")
        self.entities = [OtherOptionEntity(x) for x in candidate]

    @staticmethod
    def get_num_output(axes, policy, **kwargs):
        return 0

    def __repr__(self):
        return f"OtherOption({[e.val for e in self.entities]}) len={len(self)}"


class OtherOptionEntity:
    """The chosen value of a knob (``.val``)."""

    def __init__(self, val):
        self.val = val

    def __repr__(self):
        return str(self.val)

    def __eq__(self, other):
        return isinstance(other, OtherOptionEntity) and self.val == other.val

    def __hash__(self):
        return hash(repr(self.val))  # values may be lists (from JSON)


