"""The Relay prelude: lists, options, rose trees and their functions (0.8's ``relay.prelude``).

``Prelude(mod)`` adds to ``mod`` the algebraic data types

* ``List[A]``: ``Cons(A, List[A])`` and ``Nil``,
* ``Option[A]``: ``Some(A)`` and ``None``,
* ``Tree[A]``: ``Rose(A, List[Tree[A]])``,

and the polymorphic global functions ``id``, ``compose``, ``flip``, ``hd``,
``tl``, ``nth``, ``length``, ``update``, ``map``, ``foldl``, ``foldr``,
``foldr1``, ``sum``, ``concat``, ``filter``, ``zip``, ``rev``, ``map_accumr``,
``map_accuml``, ``unfoldr``, ``unfoldl``, ``tmap``, ``size`` and ``iterate``,
with 0.8's names, type parameters, argument orders and semantics. Each global
is an attribute of the prelude (``p.map``) and a global of the module
(``p.mod.get_global_var("map")``); types and constructors are reached with
``p.mod.get_type("List")`` or :meth:`Prelude.get_type` /
:meth:`Prelude.get_ctor`.

Why the definitions are built in Python: 0.8 parsed them from a Relay text file
(``std/prelude.rly``) with its C++ parser. Here they are constructed directly
as IR (the fork's text parser reads the same syntax; building them in Python
keeps the prelude independent of the parser and fast to load).
``IRModule.import_from_std("prelude.rly")`` and ``("nat.rly")`` load the same
definitions (:func:`import_std`).

Not provided: 0.8's tensor arrays (``TensorArrayOps``, ``StaticTensorArrayOps``
and the ``tensor_*`` ADTs), which need dynamic-shape operators the fork does
not have; their classes exist and raise an error saying so.
"""
import tvm

from . import op as _op
from .adt import (
    Clause,
    Constructor,
    Match,
    PatternConstructor,
    PatternTuple,
    PatternVar,
    PatternWildcard,
    TypeData,
)
from .expr import GlobalVar, If, Let, Tuple, TupleGetItem, Var, const
from .function import Function
from .ty import FuncType, GlobalTypeVar, TensorType, TupleType, TypeVar, scalar_type

__all__ = ["Prelude", "StaticTensorArrayOps", "TensorArrayOps", "import_std"]

_INT = scalar_type("int32")
_BOOL = scalar_type("bool")

#: The globals of the prelude, in definition order (0.8's ``GLOBAL_DEFS``).
GLOBAL_DEFS = (
    "id", "compose", "flip", "hd", "tl", "nth", "update", "map", "foldl", "foldr", "foldr1",
    "concat", "filter", "zip", "rev", "map_accuml", "map_accumr", "unfoldl", "unfoldr", "sum",
    "length", "tmap", "size", "iterate",
)


class _Defs:
    """Builds definitions into a module: type definitions first, then functions.

    ``self.g(name)`` is the GlobalVar of a prelude function (created before its
    body, so functions can call themselves and each other)."""

    def __init__(self, mod):
        self.mod = mod
        self.globals = {}

    def g(self, name):
        if name not in self.globals:
            self.globals[name] = GlobalVar(name)
        return self.globals[name]

    def adt(self, name, ctor_specs):
        """Define ``name`` with one type variable ``A`` (``None`` spec: no type
        variables); ``ctor_specs(gtv, a)`` gives ``[(ctor name, [field types])]``."""
        gtv = GlobalTypeVar(name)
        a = TypeVar("A")
        ctors = [Constructor(cname, fields, gtv) for cname, fields in ctor_specs(gtv, a)]
        data = TypeData(gtv, [a], ctors)
        self.mod.add_def(gtv, data)
        return (gtv,) + tuple(ctors)

    def define(self, name, params, body, ret_type, type_params):
        self.mod[self.g(name)] = Function(params, body, ret_type, type_params)


def _clause(pattern, rhs):
    return Clause(pattern, rhs)


def _pcons(ctor, *subs):
    return PatternConstructor(ctor, list(subs))


def _pv(var):
    return PatternVar(var)


def _eq0(n):
    return _op.tensor.equal(n, const(0))


def _dec(n):
    return _op.tensor.subtract(n, const(1))


def _define_prelude(mod):
    """Add the prelude's types and functions to ``mod`` (once)."""
    d = _Defs(mod)
    list_t, cons, nil = d.adt("List", lambda gtv, a: [("Cons", [a, gtv(a)]), ("Nil", [])])
    option_t, some, none = d.adt("Option", lambda gtv, a: [("Some", [a]), ("None", [])])
    tree_t, rose = d.adt("Tree", lambda gtv, a: [("Rose", [a, list_t(gtv(a))])])
    del option_t

    # id, compose, flip --------------------------------------------------------
    a, b, c = TypeVar("A"), TypeVar("B"), TypeVar("C")
    x = Var("x", a)
    d.define("id", [x], x, a, [a])

    a, b, c = TypeVar("A"), TypeVar("B"), TypeVar("C")
    f, g = Var("f", FuncType([b], c)), Var("g", FuncType([a], b))
    x = Var("x", a)
    d.define("compose", [f, g], Function([x], f(g(x)), c), FuncType([a], c), [a, b, c])

    a, b, c = TypeVar("A"), TypeVar("B"), TypeVar("C")
    f = Var("f", FuncType([a, b], c))
    vb, va = Var("b", b), Var("a", a)
    d.define("flip", [f], Function([vb, va], f(va, vb), c), FuncType([b, a], c), [a, b, c])

    # hd, tl (partial: no clause for Nil, as 0.8) --------------------------------
    a = TypeVar("A")
    xs, x = Var("xs", list_t(a)), Var("x")
    body = Match(xs, [_clause(_pcons(cons, _pv(x), PatternWildcard()), x)], complete=False)
    d.define("hd", [xs], body, a, [a])

    a = TypeVar("A")
    xs, rest = Var("xs", list_t(a)), Var("rest")
    body = Match(xs, [_clause(_pcons(cons, PatternWildcard(), _pv(rest)), rest)], complete=False)
    d.define("tl", [xs], body, list_t(a), [a])

    # nth, length, update ------------------------------------------------------
    a = TypeVar("A")
    xs, n = Var("xs", list_t(a)), Var("n", _INT)
    body = If(_eq0(n), d.g("hd")(xs), d.g("nth")(d.g("tl")(xs), _dec(n)))
    d.define("nth", [xs, n], body, a, [a])

    a = TypeVar("A")
    xs, rest = Var("xs", list_t(a)), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, PatternWildcard(), _pv(rest)),
                _op.tensor.add(const(1), d.g("length")(rest))),
        _clause(_pcons(nil), const(0)),
    ])
    d.define("length", [xs], body, _INT, [a])

    a = TypeVar("A")
    xs, n, v = Var("xs", list_t(a)), Var("n", _INT), Var("v", a)
    body = If(
        _eq0(n),
        cons(v, d.g("tl")(xs)),
        cons(d.g("hd")(xs), d.g("update")(d.g("tl")(xs), _dec(n), v)),
    )
    d.define("update", [xs, n, v], body, list_t(a), [a])

    # map, foldl, foldr, foldr1 ------------------------------------------------
    a, b = TypeVar("A"), TypeVar("B")
    f, xs = Var("f", FuncType([a], b)), Var("xs", list_t(a))
    x, rest = Var("x"), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, _pv(x), _pv(rest)), cons(f(x), d.g("map")(f, rest))),
        _clause(_pcons(nil), nil()),
    ])
    d.define("map", [f, xs], body, list_t(b), [a, b])

    a, b = TypeVar("A"), TypeVar("B")
    f, acc, xs = Var("f", FuncType([a, b], a)), Var("acc", a), Var("xs", list_t(b))
    x, rest = Var("x"), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, _pv(x), _pv(rest)), d.g("foldl")(f, f(acc, x), rest)),
        _clause(_pcons(nil), acc),
    ])
    d.define("foldl", [f, acc, xs], body, a, [a, b])

    a, b = TypeVar("A"), TypeVar("B")
    f, acc, xs = Var("f", FuncType([a, b], b)), Var("acc", b), Var("xs", list_t(a))
    x, rest = Var("x"), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, _pv(x), _pv(rest)), f(x, d.g("foldr")(f, acc, rest))),
        _clause(_pcons(nil), acc),
    ])
    d.define("foldr", [f, acc, xs], body, b, [a, b])

    a = TypeVar("A")
    f, xs = Var("f", FuncType([a, a], a)), Var("xs", list_t(a))
    x1, x2, rest = Var("x"), Var("x"), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, _pv(x1), _pcons(nil)), x1),
        _clause(_pcons(cons, _pv(x2), _pv(rest)), f(x2, d.g("foldr1")(f, rest))),
    ], complete=False)
    d.define("foldr1", [f, xs], body, a, [a])

    # sum, concat, filter, zip, rev ---------------------------------------------
    xs = Var("xs", list_t(_INT))
    lx, ly = Var("x", _INT), Var("y", _INT)
    add_f = Var("add_f")
    body = Let(add_f, Function([lx, ly], _op.tensor.add(lx, ly), _INT),
               d.g("foldl")(add_f, const(0), xs))
    d.define("sum", [xs], body, _INT, [])

    a = TypeVar("A")
    xs, ys = Var("xs", list_t(a)), Var("ys", list_t(a))
    d.define("concat", [xs, ys], d.g("foldr")(cons, ys, xs), list_t(a), [a])

    a = TypeVar("A")
    f, xs = Var("f", FuncType([a], _BOOL)), Var("xs", list_t(a))
    x, rest = Var("x"), Var("rest")
    body = Match(xs, [
        _clause(_pcons(cons, _pv(x), _pv(rest)),
                If(f(x), cons(x, d.g("filter")(f, rest)), d.g("filter")(f, rest))),
        _clause(_pcons(nil), nil()),
    ])
    d.define("filter", [f, xs], body, list_t(a), [a])

    a, b = TypeVar("A"), TypeVar("B")
    xs, ys = Var("xs", list_t(a)), Var("ys", list_t(b))
    x, xr, y, yr = Var("x"), Var("x_rest"), Var("y"), Var("y_rest")
    body = Match(Tuple([xs, ys]), [
        _clause(PatternTuple([_pcons(cons, _pv(x), _pv(xr)), _pcons(cons, _pv(y), _pv(yr))]),
                cons(Tuple([x, y]), d.g("zip")(xr, yr))),
        _clause(PatternWildcard(), nil()),
    ])
    d.define("zip", [xs, ys], body, list_t(TupleType([a, b])), [a, b])

    a = TypeVar("A")
    xs = Var("xs", list_t(a))
    h, t = Var("h", a), Var("t", list_t(a))
    prepend = Function([h, t], cons(h, t))
    d.define("rev", [xs], d.g("foldl")(d.g("flip")(prepend), nil(), xs), list_t(a), [a])

    # map_accumr, map_accuml -----------------------------------------------------
    for name, fold in (("map_accumr", "foldr"), ("map_accuml", "foldl")):
        a, b, c = TypeVar("A"), TypeVar("B"), TypeVar("C")
        acc_t = TupleType([a, list_t(c)])
        f = Var("f", FuncType([a, b], TupleType([a, c])))
        init, xs = Var("init", a), Var("xs", list_t(b))
        x, acc, f_out = Var("x", b), Var("acc", acc_t), Var("f_out")
        step_body = Let(
            f_out, f(TupleGetItem(acc, 0), x),
            Tuple([TupleGetItem(f_out, 0), cons(TupleGetItem(f_out, 1), TupleGetItem(acc, 1))]),
        )
        params = [x, acc] if fold == "foldr" else [acc, x]
        updater = Var("updater")
        body = Let(updater, Function(params, step_body, acc_t),
                   d.g(fold)(updater, Tuple([init, nil()]), xs))
        d.define(name, [f, init, xs], body, acc_t, [a, b, c])

    # unfoldr, unfoldl ------------------------------------------------------------
    a, b = TypeVar("A"), TypeVar("B")
    f = Var("f", FuncType([a], option_of(mod, TupleType([a, b]))))
    seed, val = Var("seed", a), Var("val")
    body = Match(f(seed), [
        _clause(_pcons(some, _pv(val)),
                cons(TupleGetItem(val, 1), d.g("unfoldr")(f, TupleGetItem(val, 0)))),
        _clause(_pcons(none), nil()),
    ])
    d.define("unfoldr", [f, seed], body, list_t(b), [a, b])

    a, b = TypeVar("A"), TypeVar("B")
    f = Var("f", FuncType([a], option_of(mod, TupleType([a, b]))))
    seed = Var("seed", a)
    d.define("unfoldl", [f, seed], d.g("rev")(d.g("unfoldr")(f, seed)), list_t(b), [a, b])

    # tmap, size ----------------------------------------------------------------
    a, b = TypeVar("A"), TypeVar("B")
    f, t = Var("f", FuncType([a], b)), Var("t", tree_t(a))
    v, subs, tt, list_f = Var("v"), Var("sub_trees"), Var("tt", tree_t(a)), Var("list_f")
    body = Match(t, [
        _clause(_pcons(rose, _pv(v), _pv(subs)),
                Let(list_f, Function([tt], d.g("tmap")(f, tt), tree_t(b)),
                    rose(f(v), d.g("map")(list_f, subs)))),
    ])
    d.define("tmap", [f, t], body, tree_t(b), [a, b])

    a = TypeVar("A")
    t, subs = Var("t", tree_t(a)), Var("sub_trees")
    body = Match(t, [
        _clause(_pcons(rose, PatternWildcard(), _pv(subs)),
                _op.tensor.add(const(1), d.g("sum")(d.g("map")(d.g("size"), subs)))),
    ])
    d.define("size", [t], body, _INT, [a])

    # iterate ---------------------------------------------------------------------
    a = TypeVar("A")
    f, n = Var("f", FuncType([a], a)), Var("n", _INT)
    body = If(_eq0(n), d.g("id"), d.g("compose")(f, d.g("iterate")(f, _dec(n))))
    d.define("iterate", [f, n], body, FuncType([a], a), [a])


def option_of(mod, ty):
    """``Option[ty]`` of the module's prelude."""
    return mod.get_global_type_var("Option")(ty)


def _define_nat(mod):
    """Peano numbers (0.8's ``std/nat.rly``): ``nat`` = ``zero`` | ``succ(nat)``,
    and ``nat_double``, ``nat_add``, ``nat_nth``, ``nat_update``, ``nat_iterate``."""
    if "List" not in {g.name_hint for g in mod.get_global_type_vars()}:
        _define_prelude(mod)
    d = _Defs(mod)
    nat_t = GlobalTypeVar("nat")
    zero = Constructor("zero", [], nat_t)
    succ = Constructor("succ", [nat_t()], nat_t)
    mod.add_def(nat_t, TypeData(nat_t, [], [zero, succ]))
    nat = nat_t()
    _, cons, _ = mod.get_type("List")
    list_t = mod.get_global_type_var("List")
    hd, tl = mod.get_global_var("hd"), mod.get_global_var("tl")

    x, y = Var("x", nat), Var("y")
    body = Match(x, [
        _clause(_pcons(zero), zero()),
        _clause(_pcons(succ, _pv(y)), succ(succ(d.g("nat_double")(y)))),
    ])
    d.define("nat_double", [x], body, nat, [])

    x, y, z = Var("x", nat), Var("y", nat), Var("z")
    body = Match(x, [
        _clause(_pcons(zero), y),
        _clause(_pcons(succ, _pv(z)), succ(d.g("nat_add")(z, y))),
    ])
    d.define("nat_add", [x, y], body, nat, [])

    a = TypeVar("A")
    lst, n, p = Var("l", list_t(a)), Var("n", nat), Var("y")
    body = Match(n, [
        _clause(_pcons(zero), hd(lst)),
        _clause(_pcons(succ, _pv(p)), d.g("nat_nth")(tl(lst), p)),
    ])
    d.define("nat_nth", [lst, n], body, a, [a])

    # 0.8's nat_update recurses on the tail and returns only the updated
    # suffix; kept as is (its documented contract is 0.8's behaviour).
    a = TypeVar("A")
    lst, idx, val, pred = Var("list", list_t(a)), Var("index", nat), Var("value", a), Var("index_pred")
    body = Match(idx, [
        _clause(_pcons(zero), cons(val, tl(lst))),
        _clause(_pcons(succ, _pv(pred)), d.g("nat_update")(tl(lst), pred, val)),
    ])
    d.define("nat_update", [lst, idx, val], body, list_t(a), [a])

    a = TypeVar("A")
    f, num, y = Var("f", FuncType([a], a)), Var("num", nat), Var("y")
    x, i = Var("x", a), Var("i", a)
    body = Match(num, [
        _clause(_pcons(zero), Function([x], x, a)),
        _clause(_pcons(succ, _pv(y)), Function([i], f(d.g("nat_iterate")(f, y)(i)))),
    ])
    d.define("nat_iterate", [f, num], body, FuncType([a], a), [a])


def _has_type(mod, name):
    return name in {g.name_hint for g in mod.get_global_type_vars()}


def import_std(mod, file_to_import):
    """Load one of 0.8's standard files into ``mod`` (``IRModule.import_from_std``).

    ``"prelude.rly"`` and ``"nat.rly"`` are known; importing one twice does
    nothing the second time."""
    name = str(file_to_import).rsplit("/", 1)[-1]
    before = {g.name_hint for g in mod.get_global_vars()}
    if name == "prelude.rly":
        if not _has_type(mod, "List"):
            _define_prelude(mod)
    elif name == "nat.rly":
        if not _has_type(mod, "nat"):
            _define_nat(mod)
    elif name in ("core.rly", "gradient.rly"):
        pass  # 0.8's core.rly and gradient.rly define nothing the fork needs
    else:
        raise ValueError(
            f"import_from_std: unknown standard file {file_to_import!r} "
            "(known: 'prelude.rly', 'nat.rly')"
        )
    added = sorted({g.name_hint for g in mod.get_global_vars()} - before)
    if added:  # typed as they come in, as 0.8 typed the files it parsed
        from .transform.type_infer import infer_globals  # pylint: disable=import-outside-toplevel

        infer_globals(mod, added)


class Prelude:
    """The prelude's definitions in a module (0.8's ``relay.prelude.Prelude``).

    Parameters
    ----------
    mod : IRModule, optional
        The module to add the definitions to (a new one if ``None``); loading
        twice into one module is a no-op.
    """

    def __init__(self, mod=None):
        if mod is None:
            mod = tvm.IRModule()
        self.mod = mod
        self.load_prelude()

    def load_prelude(self):
        """Add the definitions to ``self.mod`` and set the attributes."""
        import_std(self.mod, "prelude.rly")
        for name in GLOBAL_DEFS:
            setattr(self, name, self.mod.get_global_var(name))
        # Convenience attributes (not in 0.8, which reached them by get_type).
        self.l, self.cons, self.nil = self.mod.get_type("List")
        self.optional, self.some, self.none = self.mod.get_type("Option")
        self.tree, self.rose = self.mod.get_type("Tree")

    def get_name(self, canonical, dtype):
        """0.8's naming of dtype-specific definitions: ``"{canonical}_{dtype}"``
        (``"tensor_{dtype}_t"`` for ``"tensor_t"``)."""
        if canonical == "tensor_t":
            return f"tensor_{dtype}_t"
        return f"{canonical}_{dtype}"

    def get_global_var(self, canonical, dtype=None):
        """The global ``canonical`` (``get_global_var("map")``), or a dtype-specific one."""
        name = canonical if dtype is None else self.get_name(canonical, dtype)
        if dtype is not None and "tensor" in canonical:
            _no_tensor_array()
        return self.mod.get_global_var(name)

    def get_type(self, canonical, dtype=None):
        """The ``GlobalTypeVar`` of ``canonical`` (``get_type("List")``)."""
        if dtype is not None:
            name = self.get_name(canonical, dtype)
            if not _has_type(self.mod, name):
                _no_tensor_array()
            return self.mod.get_global_type_var(name)
        return self.mod.get_global_type_var(canonical)

    def get_ctor(self, ty_name, canonical, dtype=None):
        """The constructor ``canonical`` of the type ``ty_name``
        (``get_ctor("List", "Cons")``; with a dtype, 0.8's tensor-array names)."""
        name = canonical if dtype is None else self.get_name(canonical, dtype)
        if not _has_type(self.mod, ty_name):
            _no_tensor_array()
        for ctor in self.mod.get_type(ty_name)[1:]:
            if ctor.name_hint == name:
                return ctor
        raise ValueError(f"type {ty_name!r} has no constructor {name!r}")

    def get_tensor_ctor(self, canonical, dtype):
        """Tensor-array constructors: not provided (see the module docstring)."""
        del canonical, dtype
        _no_tensor_array()

    def get_name_static(self, canonical, dtype, shape, batch_dim=None):
        del canonical, dtype, shape, batch_dim
        _no_tensor_array()

    def get_global_var_static(self, canonical, dtype, shape, batch_dim=None):
        del canonical, dtype, shape, batch_dim
        _no_tensor_array()

    def get_type_static(self, canonical, dtype, shape):
        del canonical, dtype, shape
        _no_tensor_array()

    def get_ctor_static(self, ty_name, name, dtype, shape):
        del ty_name, name, dtype, shape
        _no_tensor_array()

    def get_tensor_ctor_static(self, name, dtype, shape):
        del name, dtype, shape
        _no_tensor_array()


def _no_tensor_array():
    raise tvm.error.OpNotImplemented(
        "relay.prelude: tensor arrays (0.8's TensorArrayOps / StaticTensorArrayOps and the "
        "tensor_* types) are not provided by this fork; they need dynamic-shape operators it "
        "does not have"
    )


class TensorArrayOps:
    """0.8's tensor-array definitions: not provided (raises on construction)."""

    def __init__(self, prelude, dtype):
        del prelude, dtype
        _no_tensor_array()


class StaticTensorArrayOps:
    """0.8's static tensor-array definitions: not provided (raises on construction)."""

    def __init__(self, prelude, dtype, shape, batch_dim=None):
        del prelude, dtype, shape, batch_dim
        _no_tensor_array()
