"""Configuration spaces of AutoTVM templates.

A template declares its tunable choices ("knobs") on a :class:`ConfigSpace`
(``cfg.define_split``, ``define_reorder``, ``define_annotate``,
``define_knob``). A point of the space is a :class:`ConfigEntity`: one entity
per knob, addressed by a single integer index (mixed radix over the knobs in
definition order). Untuned workloads get a :class:`FallbackConfigEntity`.

Schedules here are ``tvm.s_tir.Schedule`` programs, so the entities apply to
TensorIR loops: ``cfg["tile_x"].apply(sch, loop)`` returns the loops of the
split, ``cfg["ann"].apply(sch, loops)`` unrolls/vectorises/parallelises.
"""
import functools
import itertools
import math
from collections import OrderedDict

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
        if policy not in ("factors", "power2", "verbose"):
            raise ValueError(f"unknown split policy {policy!r} (factors, power2, verbose)")
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
        return hash(self.val)


class ConfigSpace:
    """The space of a template's knobs, collected while the template runs.

    While collecting, ``cfg[name]`` is the first entity of each knob, so the
    template can be run end to end once to discover its space.
    """

    def __init__(self):
        self.space_map = OrderedDict()
        self._entity_map = OrderedDict()
        self._collect = True
        self._length = None
        self.flop = 0
        self.cost = None
        self.errors = []
        self.code_hash = None
        self.is_fallback = False

    @staticmethod
    def axis(var):
        """A :class:`VirtualAxis` of ``var`` (int, te IterVar or loop)."""
        return VirtualAxis(var)

    reduce_axis = axis

    def define_split(self, name, axis, policy="factors", **kwargs):
        """Define a knob splitting ``axis`` into ``num_outputs`` loops.

        Parameters
        ----------
        name : str
        axis : int, te IterVar, tirx.For or VirtualAxis
        policy : str
            ``"factors"`` (default), ``"power2"`` or ``"verbose"``.
        num_outputs : int
            Number of loops after the split (default 2).
        max_factor, filter
            See :class:`SplitSpace`.
        """
        kwargs.setdefault("num_outputs", 2)
        axes = [axis if isinstance(axis, VirtualAxis) else VirtualAxis(axis)]
        return self._add_new_transform(SplitSpace, name, axes, policy, **kwargs)

    def define_reorder(self, name, axes, policy, **kwargs):
        """Define a knob reordering ``axes`` (``"identity"``, ``"all"``, ``"candidate"``)."""
        axes = [a if isinstance(a, VirtualAxis) else VirtualAxis(a) for a in axes]
        return self._add_new_transform(ReorderSpace, name, axes, policy, **kwargs)

    def define_annotate(self, name, axes, policy, **kwargs):
        """Define a knob annotating ``axes`` (``"try_unroll"``, ``"try_vec"``, ...)."""
        axes = [a if isinstance(a, VirtualAxis) else VirtualAxis(a) for a in axes]
        return self._add_new_transform(AnnotateSpace, name, axes, policy, **kwargs)

    def define_knob(self, name, candidate):
        """Define a knob taking one of the values in ``candidate``."""
        return self._add_new_transform(OtherOptionSpace, name, [], "", candidate=list(candidate))

    def add_flop(self, flop):
        """Add ``flop`` floating point operations to the template's count."""
        self.flop += float(flop)

    def raise_error(self, msg):
        """Reject this config (the measurement records an instantiation error)."""
        self.errors.append(msg)
        raise InstantiationError(msg)

    def valid(self):
        """Whether no error was raised for this config."""
        return not self.errors

    def _add_new_transform(self, space_class, name, axes, policy, **kwargs):
        if self._collect and name in self.space_map:
            # a knob defined by both the compute and the schedule of a TOPI
            # template: the first definition stands
            return [VirtualAxis(1, f"{name}.{i}") for i in range(self.space_map[name].num_output)]
        if self._collect:
            space = space_class(axes, policy, **kwargs)
            self.space_map[name] = space
            self._entity_map[name] = space[0]
            self._length = None
            return [VirtualAxis(1, f"{name}.{i}") for i in range(space.num_output)]
        return [VirtualAxis(1, f"{name}.{i}") for i in range(space_class.get_num_output(axes, policy, **kwargs))]

    def __len__(self):
        if self._length is None:
            self._length = int(np.prod([len(s) for s in self.space_map.values()], dtype=object)) if self.space_map else 1
        return self._length

    def get(self, index):
        """The :class:`ConfigEntity` at ``index`` (0 <= index < len(self))."""
        if not 0 <= index < len(self):
            raise IndexError(f"config index {index} out of range [0, {len(self)})")
        entities = OrderedDict()
        rest = index
        for name, space in self.space_map.items():
            entities[name] = space[rest % len(space)]
            rest //= len(space)
        return ConfigEntity(index, self.code_hash, entities, [])

    def knob2point(self, knob):
        """Index of the point whose per-knob entity indices are ``knob``."""
        point, base = 0, 1
        for value, space in zip(knob, self.space_map.values()):
            point += value * base
            base *= len(space)
        return point

    def point2knob(self, point):
        """Per-knob entity indices of ``point``."""
        knob = []
        for space in self.space_map.values():
            knob.append(point % len(space))
            point //= len(space)
        return knob

    def __getitem__(self, name):
        return self._entity_map[name]

    def __contains__(self, name):
        return name in self._entity_map

    def __repr__(self):
        lines = [f"ConfigSpace (len={len(self)}, space_map="]
        for i, (name, space) in enumerate(self.space_map.items()):
            lines.append(f"  {i:2d} {name}: {space}")
        return "\n".join(lines) + ")"


def _entity_to_json(entity):
    if isinstance(entity, SplitEntity):
        return ["sp", entity.size]
    if isinstance(entity, ReorderEntity):
        return ["re", entity.perm]
    if isinstance(entity, AnnotateEntity):
        return ["an", entity.anns]
    if isinstance(entity, OtherOptionEntity):
        return ["ot", entity.val]
    raise TypeError(f"cannot serialise knob entity {entity!r}")


def _entity_from_json(item):
    kind, value = item
    if kind == "sp":
        return SplitEntity(value)
    if kind == "re":
        return ReorderEntity(value)
    if kind == "an":
        return AnnotateEntity(value)
    if kind == "ot":
        return OtherOptionEntity(value)
    raise ValueError(f"unknown knob entity kind {kind!r}")


class ConfigEntity(ConfigSpace):
    """One point of a :class:`ConfigSpace`.

    Running a template with a ConfigEntity as ``cfg`` makes ``define_*`` no-ops
    and ``cfg[name]`` the chosen entity.
    """

    def __init__(self, index, code_hash, entity_map, constraints):
        super().__init__()
        self.index = index
        self._collect = False
        self._entity_map = entity_map
        self._space_map = None
        self._constraints = constraints
        self.code_hash = code_hash

    def get_flatten_feature(self):
        """The knob values as a flat float vector (log2 of split sizes)."""
        fea = []
        for entity in self._entity_map.values():
            if isinstance(entity, SplitEntity):
                fea.extend(math.log2(s) if s > 0 else 0.0 for s in entity.size)
            elif isinstance(entity, ReorderEntity):
                fea.extend(entity.perm)
            elif isinstance(entity, AnnotateEntity):
                fea.extend(["none", "unroll", "vec", "parallel"].index(a) for a in entity.anns)
            elif isinstance(entity, OtherOptionEntity):
                val = entity.val
                fea.append(float(val) if isinstance(val, (int, float, bool, np.number)) else float(hash(str(val)) % 97))
        return np.array(fea, dtype=np.float32)

    def get_other_option(self):
        """``{name: value}`` of the ``define_knob`` knobs."""
        return {k: v.val for k, v in self._entity_map.items() if isinstance(v, OtherOptionEntity)}

    def to_json_dict(self):
        """The config as a JSON-serialisable dict (the ``"config"`` of a record)."""
        return {
            "index": self.index,
            "code_hash": self.code_hash,
            "entity": [[name, *_entity_to_json(e)] for name, e in self._entity_map.items()],
        }

    @staticmethod
    def from_json_dict(json_dict):
        """Rebuild a ConfigEntity from :meth:`to_json_dict` output."""
        entities = OrderedDict()
        for item in json_dict["entity"]:
            name, kind, value = item
            entities[name] = _entity_from_json((kind, value))
        return ConfigEntity(int(json_dict["index"]), json_dict.get("code_hash"), entities, [])

    def __eq__(self, other):
        return (
            isinstance(other, ConfigEntity)
            and self.index == other.index
            and list(self._entity_map.items()) == list(other._entity_map.items())
        )

    def __hash__(self):
        return hash((self.index, tuple(self._entity_map.items())))

    def __repr__(self):
        return f"{list(self._entity_map.items())},{self.code_hash},{self.index}"

    __str__ = __repr__


class FallbackConfigEntity(ConfigSpace):
    """The config of a workload without tuning records.

    Knobs defined by the template take their first entity unless the template
    (or a schedule's default-config code) sets them with ``cfg[name] = entity``
    or :meth:`fallback_split`.
    """

    def __init__(self):
        super().__init__()
        self.is_fallback = True
        self.index = -1

    def _add_new_transform(self, space_class, name, axes, policy, **kwargs):
        if name in self.space_map:  # a template run again on the same fallback
            return [VirtualAxis(1, f"{name}.{i}") for i in range(self.space_map[name].num_output)]
        space = space_class(axes, policy, **kwargs)
        self.space_map[name] = space
        self._entity_map.setdefault(name, space[0])
        return [VirtualAxis(1, f"{name}.{i}") for i in range(space.num_output)]

    def fallback_split(self, name, constraints):
        """Pick the split of knob ``name`` with the largest factors within ``constraints``.

        ``constraints[i]`` bounds the i-th factor (outer first); the outer one
        is usually -1 (free).
        """
        space = self.space_map[name]
        best = None
        for entity in space.entities:
            if all(c == -1 or s <= c for s, c in zip(entity.size[1:], constraints[1:])):
                key = tuple(reversed(entity.size[1:]))
                if best is None or key > best[0]:
                    best = (key, entity)
        if best is None:
            raise ValueError(f"no split of {name!r} satisfies {constraints}")
        self._entity_map[name] = best[1]

    def fallback_with_reference_log(self, ref_log):
        """Copy the knobs of the best config of a similar workload.

        ``ref_log`` is a list of ``(MeasureInput, MeasureResult)``; the knobs
        that exist in this space and whose values are valid here are copied.
        """
        best = None
        for inp, res in ref_log:
            if res.error_no == 0 and (best is None or np.mean(res.costs) < np.mean(best[1].costs)):
                best = (inp, res)
        if best is None:
            return
        for name, entity in best[0].config._entity_map.items():
            if name in self.space_map and entity in self.space_map[name].entities:
                self._entity_map[name] = entity

    def __setitem__(self, name, entity):
        self._entity_map[name] = entity

    def __repr__(self):
        return f"{list(self._entity_map.items())},{self.code_hash}"


__all__ = [
    "ConfigSpace", "ConfigEntity", "FallbackConfigEntity", "SplitSpace", "SplitEntity",
    "ReorderSpace", "ReorderEntity", "AnnotateSpace", "AnnotateEntity", "OtherOptionSpace",
    "OtherOptionEntity", "VirtualAxis", "InstantiationError",
]
