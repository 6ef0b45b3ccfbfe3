"""PlanDevices: a device for every expression, copies where devices change
(0.8's ``relay.transform.PlanDevices(default_device)``).

The contract (0.8's device planner):

* ``on_device(e, device_type=d)`` says ``e`` is stored on ``d``; the context
  using it may be elsewhere (a ``device_copy`` is then inserted), unless the
  annotation is fixed (``is_fixed=True``), is a function's body or is let-bound:
  then the context is on ``d`` as well.
* ``device_copy(e, src_dev_type=s, dst_dev_type=d)``: ``e`` on ``s``, result on ``d``.
* A primitive call's arguments and result share one device (each call its own);
  a tuple, its fields, a projection, an ``if`` and its branches, a match and its
  clauses, references and their values are on one device; a let-bound value may be
  elsewhere than the let's body; a function's parameters may each be elsewhere
  than its result, but every call of a function uses the same devices (no device
  polymorphism for Relay functions). A value of function type has a device per
  parameter and one for its result ("higher-order domains"); inside a tuple, a
  reference or an ADT a function is collapsed to the container's device.
* Shapes of the VM dialect live on the CPU (``vm.shape_of``'s result,
  ``vm.shape_func``'s tuples, the size/alignment of ``memory.alloc_storage``, the
  offset/shape of ``memory.alloc_tensor``, ``vm.reshape_tensor``'s shape).
* Existing ``param_device_types`` / ``result_device_type`` function attributes
  constrain too, so the pass is idempotent.

Phases: (0) a let-bound or function-body ``on_device`` becomes fixed, and
``on_device(t).i`` also annotates the projection; (1) unification of the
constraints (union-find over device domains); (2) what is left free gets a
default: a function's result the default device, its parameters the result's
device, a let-bound value the let's device; (3) the program is rewritten: the
original ``on_device`` calls and the copies within one device are removed, every
function gets ``param_device_types`` / ``result_device_type`` attributes, a
``device_copy(on_device(e, s, is_fixed=True), s, d)`` is inserted at every device
change, and a let-bound value or a call argument whose device differs from its
context is wrapped in a fixed ``on_device`` (never a variable, global, operator,
constructor or function), so a later pass finds every expression's device
lexically.

The fork compiles for the CPU only: the pass is about the IR. ``relay.build``
accepts the CPU annotations and copies (identities) and refuses another device
(:func:`check_cpu_only`).
"""
from ..adt import Constructor, Match, pattern_vars
from ..expr import Call, Constant, GlobalVar, If, Let, Tuple, TupleGetItem, Var
from ..expr_functor import ExprMutator
from ..function import Function
from ..op.op import Op
from ..references import RefCreate, RefRead, RefWrite
from ..ty import FuncType
from .pass_infra import Pass, PassInfo

CPU = 1

# VM dialect ops whose shape arguments or results are on the CPU
_ALLOC_STORAGE = "memory.alloc_storage"
_ALLOC_TENSOR = "memory.alloc_tensor"
_SHAPE_OF = "vm.shape_of"
_SHAPE_FUNC = "vm.shape_func"
_INVOKE_TVM_OP = "vm.invoke_tvm_op"
_RESHAPE_TENSOR = "vm.reshape_tensor"


class DeviceError(ValueError):
    """The devices the program asks for cannot be reconciled."""


# ---------------------------------------------------------------------------
# annotation helpers (0.8's GetOnDeviceProps / OnDevice / MaybeOnDevice)


def _is_op(call, name):
    return isinstance(call, Call) and isinstance(call.op, Op) and call.op.name == name


def on_device_props(expr):
    """``(body, device_type, is_fixed)`` of an ``on_device`` call (nested ones
    followed to the innermost body), else ``None``."""
    if not _is_op(expr, "on_device"):
        return None
    fixed = bool(expr.attrs.get("is_fixed", False))
    inner = on_device_props(expr.args[0])
    if inner is not None:
        return inner[0], inner[1], fixed or inner[2]
    return expr.args[0], int(expr.attrs["device_type"]), fixed


def device_copy_props(expr):
    """``(body, src_dev_type, dst_dev_type)`` of a ``device_copy`` call, else ``None``."""
    if not _is_op(expr, "device_copy"):
        return None
    return expr.args[0], int(expr.attrs["src_dev_type"]), int(expr.attrs["dst_dev_type"])


def _typed(new, like):
    if new._checked_type_ is None and like is not None:
        new._checked_type_ = like._checked_type_
    return new


def _on_device(expr, device_type, is_fixed):
    from ..op.annotation import on_device  # pylint: disable=import-outside-toplevel

    return _typed(on_device(expr, device_type, is_fixed), expr)


def _maybe_on_device(expr, device_type, is_fixed):
    """``on_device(expr)`` unless the device of ``expr`` is known from where it is
    bound (variables, globals, functions) or it is device polymorphic (operators,
    constructors); an ``on_device`` is not nested in another."""
    if isinstance(expr, Op | Constructor | GlobalVar | Var | Function):
        return expr
    props = on_device_props(expr)
    if props is not None:
        body, inner_type, inner_fixed = props
        if inner_type != device_type and (is_fixed or inner_fixed):
            raise DeviceError(f"conflicting on_device annotations {inner_type} and {device_type}")
        return _on_device(body, device_type, is_fixed or inner_fixed)
    return _on_device(expr, device_type, is_fixed)


def _device_copy(expr, src, dst):
    from ..op._device_copy import device_copy  # pylint: disable=import-outside-toplevel

    return _typed(device_copy(expr, src, dst), expr)


# ---------------------------------------------------------------------------
# device domains


class _Domain:
    """A device (``device`` is None while free) for a first-order value; for a
    function, one domain per parameter and one for the result (``sub``)."""

    __slots__ = ("device", "sub")

    def __init__(self, device=None, sub=()):
        self.device = device
        self.sub = tuple(sub)

    @property
    def is_free(self):
        return self.device is None and not self.sub

    @property
    def higher_order(self):
        return bool(self.sub)


def _same(lhs, rhs):
    """0.8's DeviceDomainEqual: free first-order domains by identity, bound ones by
    device, functions pointwise."""
    if len(lhs.sub) != len(rhs.sub):
        return False
    if lhs.is_free and rhs.is_free:
        return lhs is rhs
    if not lhs.sub:
        return lhs.device == rhs.device
    return all(_same(a, b) for a, b in zip(lhs.sub, rhs.sub))


def _make_domain(ty, device):
    if isinstance(ty, FuncType):
        return _Domain(sub=[_make_domain(t, None) for t in ty.arg_types]
                       + [_make_domain(ty.ret_type, device)])
    return _Domain(device)


class _Domains:
    """The union-find of domains and the domain of each expression."""

    def __init__(self, mod):
        self.mod = mod
        self.equiv = {}  # domain -> an equivalent, more determined domain
        self.exprs = {}  # expression key -> (expression, domain)
        self.callees = {}  # id(call) -> (call, domain of its callee)

    # -- union-find
    def lookup(self, domain):
        root = domain
        while root in self.equiv:
            root = self.equiv[root]
        while domain is not root:  # path compression
            nxt = self.equiv[domain]
            self.equiv[domain] = root
            domain = nxt
        return root

    def _join(self, lhs, rhs):
        if len(lhs.sub) != len(rhs.sub):
            raise DeviceError("a function and a first-order value (or functions of different "
                              "arities) cannot share a device domain")
        if rhs.is_free:
            return lhs
        if lhs.is_free:
            return rhs
        if not lhs.sub:
            if lhs.device != rhs.device:
                raise DeviceError(f"inconsistent device types {lhs.device} and {rhs.device}")
            return lhs
        return _Domain(sub=[self.unify(a, b) for a, b in zip(lhs.sub, rhs.sub)])

    def unify(self, lhs, rhs):
        lhs, rhs = self.lookup(lhs), self.lookup(rhs)
        joined = self._join(lhs, rhs)
        if not _same(lhs, joined):
            self.equiv[lhs] = joined
        if not _same(rhs, joined) and rhs is not lhs:
            self.equiv[rhs] = joined
        return joined

    def collapse(self, first_order, higher_order):
        for sub in higher_order.sub:
            self.unify(sub, first_order)

    def unify_collapsed(self, lhs, rhs):
        if not lhs.higher_order and rhs.higher_order:
            self.collapse(lhs, rhs)
        else:
            self.unify(lhs, rhs)

    def result_domain(self, domain):
        domain = self.lookup(domain)
        while domain.higher_order:
            domain = self.lookup(domain.sub[-1])
        return domain

    def result_device(self, domain):
        return self.result_domain(domain).device

    def any_free(self, domain):
        domain = self.lookup(domain)
        return domain.is_free or any(self.any_free(s) for s in domain.sub)

    def set_default(self, domain, device):
        domain = self.lookup(domain)
        if domain.is_free:
            self.unify(domain, _Domain(device))
        else:
            for sub in domain.sub:
                self.set_default(sub, device)

    def set_result_default_then_params(self, domain, device):
        domain = self.lookup(domain)
        if not domain.higher_order:
            self.set_default(domain, device)
            return
        result = self.result_device(domain)
        self.set_default(domain, device if result is None else result)

    # -- expressions
    def type_of(self, expr):
        if expr._checked_type_ is not None:
            return expr._checked_type_
        if isinstance(expr, GlobalVar) and expr.name_hint in self.mod:
            return self.mod[expr.name_hint].checked_type
        if isinstance(expr, Var) and expr.type_annotation is not None:
            return expr.type_annotation
        raise DeviceError(f"PlanDevices needs typed expressions; run InferType first ({expr!r})")

    @staticmethod
    def _key(expr):
        return ("global", expr.name_hint) if isinstance(expr, GlobalVar) else id(expr)

    def domain_for(self, expr):
        key = self._key(expr)
        found = self.exprs.get(key)
        if found is not None:
            return self.lookup(found[1])
        domain = _make_domain(self.type_of(expr), None)
        self.exprs[key] = (expr, domain)
        return domain

    def contains(self, expr):
        return self._key(expr) in self.exprs

    def unify_exprs(self, lhs, rhs):
        self._unify_checked(self.domain_for(lhs), self.domain_for(rhs), lhs)

    def unify_expr(self, expr, expected):
        self._unify_checked(self.domain_for(expr), expected, expr)

    def unify_expr_collapsed(self, expr, expected):
        try:
            self.unify_collapsed(self.domain_for(expr), expected)
        except DeviceError as err:
            raise DeviceError(f"incompatible devices for expression {_short(expr)}: {err}") from None

    def _unify_checked(self, lhs, rhs, expr):
        try:
            self.unify(lhs, rhs)
        except DeviceError as err:
            raise DeviceError(f"incompatible devices for expression {_short(expr)}: {err}") from None

    def domain_for_callee(self, call):
        """The (function) domain of what ``call`` calls: the special rules of
        ``on_device``, ``device_copy`` and the VM dialect, a fresh shared domain for
        a primitive operator, the domain of a called function otherwise."""
        found = self.callees.get(id(call))
        if found is not None:
            return self.lookup(found[1])
        op = call.op
        on_dev = on_device_props(call)
        copy = device_copy_props(call)
        cpu = _Domain(CPU)
        if on_dev is not None:
            body, device, fixed = on_dev
            arg = _make_domain(self.type_of(body), device)
            parts = [arg, arg if fixed else _make_domain(self.type_of(body), None)]
        elif copy is not None:
            body, src, dst = copy
            parts = [_make_domain(self.type_of(body), src), _make_domain(self.type_of(body), dst)]
        elif _is_op(call, _ALLOC_STORAGE):
            parts = [cpu, cpu, _make_domain(self.type_of(call), int(call.attrs["device_type"]))]
        elif _is_op(call, _ALLOC_TENSOR):
            free = _make_domain(self.type_of(call), None)
            parts = [free, cpu, cpu, free]
        elif _is_op(call, _SHAPE_FUNC):
            parts = [_make_domain(self.type_of(call.args[0]), None), cpu, cpu, cpu]
        elif _is_op(call, _SHAPE_OF):
            parts = [_make_domain(self.type_of(call.args[0]), None), cpu]
        elif _is_op(call, _INVOKE_TVM_OP):
            free = _make_domain(self.type_of(call), None)
            parts = [_make_domain(self.type_of(call.args[0]), None), free, free, free]
        elif _is_op(call, _RESHAPE_TENSOR):
            free = _Domain()
            parts = [free, cpu, free]
        elif isinstance(op, Op):
            free = _Domain()
            parts = [free] * (len(call.args) + 1)
        elif isinstance(op, Constructor):
            result = _Domain()
            parts = []
            for arg in call.args:
                param = _make_domain(self.type_of(arg), None)
                self.unify_collapsed(result, param)
                parts.append(param)
            parts.append(result)
        else:
            return self.domain_for(op)
        domain = _Domain(sub=parts)
        self.callees[id(call)] = (call, domain)
        return domain


def _short(expr):
    text = str(expr)
    return text if len(text) < 300 else text[:300] + " ..."


# ---------------------------------------------------------------------------
# phase 0


class _RewriteOnDevices(ExprMutator):
    """Let-bound and function-body annotations become fixed; ``on_device(t).i``
    gets an annotation of its own."""

    def visit_tuple_getitem(self, op):
        tup = self.visit(op.tuple_value)
        item = op if tup is op.tuple_value else TupleGetItem(tup, op.index)
        props = on_device_props(tup)
        if props is not None and not props[2]:
            return _on_device(item, props[1], False)
        return item

    def visit_let(self, let):
        bindings = []
        expr = let
        while isinstance(expr, Let):
            value = self.visit(expr.value)
            props = on_device_props(value)
            if props is not None and not props[2]:
                value = _on_device(props[0], props[1], True)
            bindings.append((expr.var, value))
            expr = expr.body
        body = self.visit(expr)
        for var, value in reversed(bindings):
            body = Let(var, value, body)
        return body

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        body = self.visit(fn.body)
        props = on_device_props(body)
        if props is not None and not props[2]:
            body = _on_device(props[0], props[1], True)
        if body is fn.body:
            return fn
        return Function(fn.params, body, fn.ret_type, fn.type_params, fn.attrs)


# ---------------------------------------------------------------------------
# phase 1


class _Analyzer:
    """Collects the device constraints of every sub-expression."""

    def __init__(self, mod, domains):
        self.mod = mod
        self.domains = domains
        self.seen = set()

    def run(self):
        for gvar, func in self.mod.functions_items():
            if isinstance(func, Function):
                self.domains.unify_exprs(gvar, func)
                self.visit(func)

    def visit(self, expr):
        key = id(expr)
        if key in self.seen:
            return
        self.seen.add(key)
        d = self.domains
        if isinstance(expr, Call):
            self.visit(expr.op)
            callee = d.domain_for_callee(expr)
            if not callee.higher_order or len(callee.sub) != len(expr.args) + 1:
                raise DeviceError(f"callee of {_short(expr)} has no function device domain")
            parts = []
            for arg in expr.args:
                parts.append(d.domain_for(arg))
                self.visit(arg)
            parts.append(d.domain_for(expr))
            try:
                d.unify(callee, _Domain(sub=parts))
            except DeviceError as err:
                raise DeviceError("function parameters and result devices do not match those "
                                  f"of the call {_short(expr)}: {err}") from None
        elif isinstance(expr, Let):
            while isinstance(expr, Let):
                d.unify_exprs(expr.var, expr.value)
                d.unify_exprs(expr, expr.body)
                self.visit(expr.var)
                self.visit(expr.value)
                expr = expr.body
            self.visit(expr)
        elif isinstance(expr, Function):
            if expr.is_primitive:
                return
            fdom = d.domain_for(expr)
            d.unify_expr(expr.body, fdom.sub[-1])
            for i, param in enumerate(expr.params):
                d.unify_expr(param, fdom.sub[i])
                self.visit(param)
            result_type = expr.attrs.get("result_device_type")
            if result_type is not None:
                param_types = expr.attrs.get("param_device_types")
                if param_types is None or len(param_types) != len(expr.params):
                    raise DeviceError("param_device_types does not match the function's arity")
                parts = [_make_domain(d.type_of(p), int(t)) for p, t in zip(expr.params, param_types)]
                parts.append(_make_domain(d.type_of(expr.body), int(result_type)))
                try:
                    d.unify(fdom, _Domain(sub=parts))
                except DeviceError as err:
                    raise DeviceError("function devices are incompatible with its device "
                                      f"attributes: {err}") from None
            self.visit(expr.body)
        elif isinstance(expr, Tuple):
            for field in expr.fields:
                d.unify_expr_collapsed(expr, d.domain_for(field))
                self.visit(field)
        elif isinstance(expr, TupleGetItem):
            d.unify_expr_collapsed(expr.tuple_value, d.domain_for(expr))
            self.visit(expr.tuple_value)
        elif isinstance(expr, Match):
            mdom = d.domain_for(expr)
            for clause in expr.clauses:
                for var in pattern_vars(clause.lhs):
                    d.unify_expr_collapsed(expr.data, d.domain_for(var))
            d.unify_expr_collapsed(expr.data, mdom)
            for clause in expr.clauses:
                d.unify_expr(clause.rhs, mdom)
                self.visit(clause.rhs)
            self.visit(expr.data)
        elif isinstance(expr, If):
            idom = d.domain_for(expr)
            d.unify_expr_collapsed(expr.cond, idom)
            d.unify_expr(expr.true_branch, idom)
            d.unify_expr(expr.false_branch, idom)
            self.visit(expr.cond)
            self.visit(expr.true_branch)
            self.visit(expr.false_branch)
        elif isinstance(expr, RefCreate):
            d.unify_expr_collapsed(expr, d.domain_for(expr.value))
            self.visit(expr.value)
        elif isinstance(expr, RefRead):
            d.unify_expr_collapsed(expr.ref, d.domain_for(expr))
            self.visit(expr.ref)
        elif isinstance(expr, RefWrite):
            vdom = d.domain_for(expr.value)
            d.unify_expr_collapsed(expr.ref, vdom)
            d.unify_expr_collapsed(expr, vdom)
            self.visit(expr.ref)
            self.visit(expr.value)
        elif isinstance(expr, Var | GlobalVar | Constant):
            d.domain_for(expr)
        # operators and constructors: handled at their call sites


# ---------------------------------------------------------------------------
# phase 2


class _Defaulter:
    """Gives every still free domain a device."""

    def __init__(self, mod, domains, default_device):
        self.mod = mod
        self.domains = domains
        self.default = default_device
        self.seen = set()

    def run(self):
        for _gvar, func in self.mod.functions_items():
            if isinstance(func, Function):
                self.visit(func)

    def visit(self, expr):
        key = id(expr)
        if key in self.seen:
            return
        self.seen.add(key)
        d = self.domains
        if isinstance(expr, Function):
            if expr.is_primitive:
                return
            fdom = d.domain_for(expr)
            if d.any_free(fdom):
                d.set_result_default_then_params(fdom, self.default)
            self.visit(expr.body)
        elif isinstance(expr, Call):
            callee = d.domain_for_callee(expr)
            if d.any_free(callee):
                d.set_result_default_then_params(callee, self.default)
            self.visit(expr.op)
            for arg in expr.args:
                self.visit(arg)
        elif isinstance(expr, Let):
            while isinstance(expr, Let):
                let_device = d.result_device(d.domain_for(expr))
                if let_device is None:
                    raise DeviceError("PlanDevices: a let has no device after defaulting")
                var_dom = d.domain_for(expr.var)
                if d.any_free(var_dom):
                    d.set_default(var_dom, let_device)
                self.visit(expr.var)
                self.visit(expr.value)
                expr = expr.body
            self.visit(expr)
        elif isinstance(expr, Tuple):
            for field in expr.fields:
                self.visit(field)
        elif isinstance(expr, TupleGetItem):
            self.visit(expr.tuple_value)
        elif isinstance(expr, If):
            self.visit(expr.cond)
            self.visit(expr.true_branch)
            self.visit(expr.false_branch)
        elif isinstance(expr, Match):
            self.visit(expr.data)
            for clause in expr.clauses:
                self.visit(clause.rhs)
        elif isinstance(expr, RefCreate):
            self.visit(expr.value)
        elif isinstance(expr, RefRead):
            self.visit(expr.ref)
        elif isinstance(expr, RefWrite):
            self.visit(expr.ref)
            self.visit(expr.value)


# ---------------------------------------------------------------------------
# phase 3


class _Capturer(ExprMutator):
    """Writes the devices into the program (see the module docstring)."""

    def __init__(self, domains):
        super().__init__()
        self.domains = domains

    def device_of(self, expr):
        props = on_device_props(expr)
        true_expr = props[0] if props is not None else expr
        if not self.domains.contains(true_expr):
            raise DeviceError(f"PlanDevices: no device for {_short(true_expr)}")
        device = self.domains.result_device(self.domains.domain_for(true_expr))
        if device is None:
            raise DeviceError(f"PlanDevices: the device of {_short(true_expr)} is still free")
        return device

    def child(self, lexical, expected, child_device, child):
        if isinstance(child, Op):
            return child
        result = self.visit(child)
        if child_device != expected:
            result = _maybe_on_device(result, child_device, True)
            result = _device_copy(result, child_device, expected)
        if expected != lexical:
            result = _maybe_on_device(result, expected, True)
        return result

    def child_of(self, parent, child):
        expected = self.device_of(parent)
        return self.child(expected, expected, self.device_of(child), child)

    def visit_function(self, fn):
        if fn.is_primitive:
            return fn
        d = self.domains
        fdom = d.lookup(d.domain_for(fn))
        result_device = d.result_device(fdom)
        params = [d.result_device(fdom.sub[i]) for i in range(len(fn.params))]
        if result_device is None or any(p is None for p in params):
            raise DeviceError("PlanDevices: a function's devices are still free")
        body = self.child(result_device, result_device, self.device_of(fn.body), fn.body)
        new_fn = Function(fn.params, body, fn.ret_type, fn.type_params, fn.attrs)
        new_fn._checked_type_ = fn._checked_type_
        return new_fn.with_attr({"param_device_types": params,
                                 "result_device_type": result_device})

    def visit_call(self, call):
        call_device = self.device_of(call)
        props = on_device_props(call)
        if props is not None:
            return self.visit(props[0])  # the job of the original annotations is done
        copy = device_copy_props(call)
        if copy is not None:
            if copy[2] != call_device:
                raise DeviceError(f"device_copy to {copy[2]} planned on {call_device}")
            if copy[1] == call_device:
                return self.visit(copy[0])  # a copy within one device
        d = self.domains
        fdom = d.lookup(d.domain_for_callee(call))
        op = self.child(call_device, call_device, d.result_device(fdom), call.op)
        args = []
        for i, arg in enumerate(call.args):
            param_device = d.result_device(fdom.sub[i])
            args.append(self.child(call_device, param_device, self.device_of(arg), arg))
        if op is call.op and all(a is b for a, b in zip(args, call.args)):
            return call
        return _typed(Call(op, args, call.attrs, call.type_args, call.span), call)

    def visit_let(self, let):
        let_device = self.device_of(let)
        bindings = []
        expr = let
        while isinstance(expr, Let) and self.device_of(expr) == let_device:
            value = self.child(let_device, self.device_of(expr.var), self.device_of(expr.value),
                               expr.value)
            bindings.append((expr.var, value, expr))
            expr = expr.body
        body = self.child(let_device, let_device, self.device_of(expr), expr)
        for var, value, old in reversed(bindings):
            if value is old.value and body is old.body:
                body = old
            else:
                body = _typed(Let(var, value, body), old)
        return body

    def _rebuild(self, old, new, changed):
        return _typed(new(), old) if changed else old

    def visit_if(self, ite):
        parts = [self.child_of(ite, c) for c in (ite.cond, ite.true_branch, ite.false_branch)]
        changed = any(a is not b for a, b in zip(parts, (ite.cond, ite.true_branch, ite.false_branch)))
        return self._rebuild(ite, lambda: If(*parts), changed)

    def visit_tuple(self, tup):
        fields = [self.child_of(tup, f) for f in tup.fields]
        changed = any(a is not b for a, b in zip(fields, tup.fields))
        return self._rebuild(tup, lambda: Tuple(fields, tup.span), changed)

    def visit_tuple_getitem(self, op):
        value = self.child_of(op, op.tuple_value)
        return self._rebuild(op, lambda: TupleGetItem(value, op.index), value is not op.tuple_value)

    def visit_ref_create(self, ref):
        value = self.child_of(ref, ref.value)
        return self._rebuild(ref, lambda: RefCreate(value), value is not ref.value)

    def visit_ref_read(self, ref):
        inner = self.child_of(ref, ref.ref)
        return self._rebuild(ref, lambda: RefRead(inner), inner is not ref.ref)

    def visit_ref_write(self, ref):
        inner = self.child_of(ref, ref.ref)
        value = self.child_of(ref, ref.value)
        return self._rebuild(ref, lambda: RefWrite(inner, value),
                             inner is not ref.ref or value is not ref.value)

    def visit_match(self, match):
        from ..adt import Clause  # pylint: disable=import-outside-toplevel

        data = self.child_of(match, match.data)
        rhs = [self.child_of(match, c.rhs) for c in match.clauses]
        changed = data is not match.data or any(r is not c.rhs for r, c in zip(rhs, match.clauses))
        return self._rebuild(
            match,
            lambda: Match(data, [Clause(c.lhs, r) for c, r in zip(match.clauses, rhs)],
                          match.complete),
            changed)


# ---------------------------------------------------------------------------
# the pass


def _device_type_of(device):
    from ..op.annotation import _device_type  # pylint: disable=import-outside-toplevel

    return _device_type(device)


def plan_devices(mod, default_device):
    """``mod`` with its devices planned (a new module); see the module docstring."""
    from ._utils import ensure_typed  # pylint: disable=import-outside-toplevel
    from .type_infer import InferType  # pylint: disable=import-outside-toplevel

    default = _device_type_of(default_device)
    mod = ensure_typed(mod).copy()
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            new_func = _RewriteOnDevices().visit(func)
            if new_func is not func:
                mod[gvar] = new_func
    mod = InferType()(mod)
    domains = _Domains(mod)
    _Analyzer(mod, domains).run()
    _Defaulter(mod, domains, default).run()
    out = mod.copy()
    capturer = _Capturer(domains)
    for gvar, func in mod.functions_items():
        if isinstance(func, Function):
            out[gvar] = capturer.visit(func)
    return out


def PlanDevices(default_device):  # pylint: disable=invalid-name
    """Plan a device for every expression (0.8's ``relay.transform.PlanDevices``).

    Parameters
    ----------
    default_device : Union[tvm.runtime.Device, str]
        The device of what no annotation constrains (only its type is used).

    Returns
    -------
    ret : tvm.transform.Pass
    """
    _device_type_of(default_device)  # fail early on a bad device
    return Pass(PassInfo(0, "PlanDevices", []), lambda mod, _ctx: plan_devices(mod, default_device))


# ---------------------------------------------------------------------------
# the CPU-only compiler


def check_cpu_only(func):
    """Raise when ``func`` (a fused ``main`` included) places something on another
    device than the CPU: an ``on_device``/``device_copy`` call or function device
    attributes. The fork compiles for the CPU only; CPU annotations and copies
    are identities."""
    from ._utils import post_order  # pylint: disable=import-outside-toplevel

    def refuse(what, device):
        raise ValueError(f"{what} places a value on device type {device}: this fork compiles "
                         "for the CPU only (device type 1); build for the CPU or remove the "
                         "annotation")

    stack = [func]
    while stack:
        root = stack.pop()
        for node in post_order(root):
            if isinstance(node, Function):
                devices = list(node.attrs.get("param_device_types") or ())
                if node.attrs.get("result_device_type") is not None:
                    devices.append(node.attrs.get("result_device_type"))
                for device in devices:
                    if int(device) != CPU:
                        refuse("a function's param_device_types/result_device_type", device)
                if node.is_primitive and node is not root:
                    stack.append(Function(node.params, node.body))
            props = on_device_props(node)
            if props is not None and props[1] != CPU:
                refuse("on_device", props[1])
            copy = device_copy_props(node)
            if copy is not None and (copy[1] != CPU or copy[2] != CPU):
                refuse("device_copy", copy[1] if copy[1] != CPU else copy[2])


__all__ = ["PlanDevices", "plan_devices", "check_cpu_only", "on_device_props", "device_copy_props"]
