"""Relay to VM bytecode (the compiler half of ``relay.vm.compile``).

Input: the optimised, fused module (:func:`tvm.relay.build_module.optimize`:
every operator call sits in a ``"Primitive"`` function). Every global
function of the module becomes one VM function; every nested (non-primitive)
function becomes a *lifted* VM function whose first parameters are the
variables it captures (0.8's LambdaLift, done here while generating code), and
the expression that made it an ``alloc_closure``. A function bound by ``let``
that calls itself gets itself back by an ``alloc_closure`` at its entry.

Calls of primitive functions:

* static shapes: the compile engine lowers the function (the build's lowering
  mode: TOPI, AutoTVM records or auto-scheduler records, as ``relay.build``);
  outputs are allocated (``alloc_storage`` + ``alloc_tensor``) and the kernel
  called with ``invoke_packed``. All kernels are compiled into one library.
* a function that only reshapes (``reshape``, ``squeeze``, ...): a
  ``reshape_tensor`` view, no kernel (0.8 did the same).
* dynamic shapes: ``invoke_jit`` (see :mod:`.vm_jit`).

Weights a kernel reads in another layout (``CachedFunc.input_transforms``) are
transformed once here when they are constants; otherwise the transform kernel
runs before the call.

``If`` compiles to ``if`` / ``goto``; ``match`` to ``get_tag`` / ``get_field``
tests clause after clause (``fatal`` when none matches); tuples and
constructor values to ``alloc_adt``; references to the fork's ``alloc_ref`` /
``ref_read`` / ``ref_write``.
"""
import numpy as np

import tvm

from .. import ty as _ty
from ..adt import Constructor, Match, PatternConstructor, PatternTuple, PatternVar, PatternWildcard
from ..analysis import free_vars
from ..expr import (
    Call, Constant, GlobalVar, If, Let, RefCreate, RefRead, RefWrite, Tuple, TupleGetItem, Var,
)
from ..function import Function
from .graph_runtime_codegen import is_reshape_only
from .vm_jit import is_static
from .vm_runtime import VMFunction, _c_order


def _is_op(expr):
    return getattr(type(expr), "_is_relay_op", False)


def _tensor_types(ty):
    if isinstance(ty, _ty.TensorType):
        return [(tuple(int(d) for d in ty.shape), ty.dtype)]
    if isinstance(ty, _ty.TupleType):
        out = []
        for field in ty.fields:
            out.extend(_tensor_types(field))
        return out
    raise TypeError(f"a kernel cannot produce a value of type {ty}")


def _count_tensors(ty):
    if isinstance(ty, _ty.TupleType):
        return sum(_count_tensors(f) for f in ty.fields)
    return 1


class VMCodegen:
    """Generate the bytecode and lower the kernels of a fused module.

    Parameters
    ----------
    mod : IRModule
        Optimised and fused, type-checked.
    target : tvm.target.Target
    mode : LoweringMode
    engine : CompileEngine
    """

    def __init__(self, mod, target, mode, engine):
        self.mod = mod
        self.target = target
        self.mode = mode
        self.engine = engine
        self.functions = []
        self.global_names = []
        self.global_index = {}
        self.packed_names = []
        self.packed_index = {}
        self.lowered = {}
        self.constants = []
        self.dynamic_prims = []
        self._dynamic_index = {}
        self._const_index = {}
        self._ctor_wrappers = {}
        self._pending = []

    def codegen(self):
        """Generate every function; returns ``self`` (read the attributes)."""
        gvars = [g for g in self.mod.get_global_vars()
                 if isinstance(self.mod[g], Function) and not self.mod[g].is_primitive]
        gvars.sort(key=lambda g: (g.name_hint != "main", g.name_hint))
        for gvar in gvars:
            self.global_index[gvar.name_hint] = len(self.functions)
            self.global_names.append(gvar.name_hint)
            self.functions.append(None)
        for gvar in gvars:
            func = self.mod[gvar]
            index = self.global_index[gvar.name_hint]
            self.functions[index] = _FunctionCompiler(self, gvar.name_hint, func).compile()
        while self._pending:
            self._compile_pending(self._pending.pop(0))
        return self

    # -- shared pools ------------------------------------------------------------------
    def new_function_slot(self):
        self.functions.append(None)
        return len(self.functions) - 1

    def lift(self, name, func, captured, self_var, prim_vars):
        """Reserve a VM function for closure ``func`` capturing ``captured``
        (``prim_vars``: the let-bound primitive functions it may call)."""
        index = self.new_function_slot()
        self._pending.append((index, name, func, captured, self_var, dict(prim_vars)))
        return index

    def _compile_pending(self, item):
        index, name, func, captured, self_var, prim_vars = item
        compiler = _FunctionCompiler(self, name, func, captured, self_var, index)
        compiler.prim_vars.update(prim_vars)
        self.functions[index] = compiler.compile()

    def add_constant(self, array, key=None):
        if key is not None and key in self._const_index:
            return self._const_index[key]
        self.constants.append(_c_order(array))
        index = len(self.constants) - 1
        if key is not None:
            self._const_index[key] = index
        return index

    def add_packed(self, name, prim_func):
        if name not in self.packed_index:
            self.packed_index[name] = len(self.packed_names)
            self.packed_names.append(name)
            self.lowered[name] = prim_func
        return self.packed_index[name]

    def add_dynamic(self, func):
        key = id(func)
        if key not in self._dynamic_index:
            self._dynamic_index[key] = len(self.dynamic_prims)
            self.dynamic_prims.append(func)
        return self._dynamic_index[key]

    def constructor_wrapper(self, ctor):
        """A VM function building a value of ``ctor`` from its fields (a constructor used as a value)."""
        if id(ctor) not in self._ctor_wrappers:
            index = self.new_function_slot()
            n = len(ctor.inputs)
            code = [("alloc_adt", n, ctor.tag, tuple(range(n))), ("ret", n)]
            self.functions[index] = VMFunction(f"ctor_{ctor.name_hint}", [f"field{i}" for i in range(n)],
                                               code, n + 1)
            self._ctor_wrappers[id(ctor)] = index
        return self._ctor_wrappers[id(ctor)]


class _FunctionCompiler:
    """Code of one VM function."""

    def __init__(self, cg, name, func, captured=(), self_var=None, self_index=None):
        self.cg = cg
        self.name = name
        self.func = func
        self.captured = list(captured)
        self.self_var = self_var
        self.self_index = self_index
        self.code = []
        self.nregs = 0
        self.env = {}
        self.memo = {}
        self.prim_vars = {}
        self._lift_count = 0

    def new_reg(self):
        self.nregs += 1
        return self.nregs - 1

    def emit(self, *inst):
        self.code.append(tuple(inst))
        return len(self.code) - 1

    def compile(self):
        params = self.captured + list(self.func.params)
        for param in params:
            self.env[param] = self.new_reg()
        if self.self_var is not None:
            reg = self.new_reg()
            self.emit("alloc_closure", reg, self.self_index,
                      tuple(self.env[v] for v in self.captured))
            self.env[self.self_var] = reg
        result = self.visit(self.func.body)
        self.emit("ret", result)
        return VMFunction(self.name, [p.name_hint for p in params], self.code, self.nregs)

    # -- expressions -----------------------------------------------------------------------
    def visit(self, expr):
        key = id(expr)
        found = self.memo.get(key)
        if found is not None:
            return found[1]
        reg = self._visit(expr)
        self.memo[key] = (expr, reg)
        return reg

    def _scoped(self, expr, extra_env=None):
        """Visit ``expr`` in a nested block (a branch): what it computes stays there."""
        memo, env = dict(self.memo), dict(self.env)
        if extra_env:
            self.env.update(extra_env)
        try:
            return self.visit(expr)
        finally:
            self.memo, self.env = memo, env

    def _visit(self, expr):
        if isinstance(expr, Var):
            if expr in self.env:
                return self.env[expr]
            raise ValueError(f"free variable {expr.name_hint!r} in function {self.name}")
        if isinstance(expr, Constant):
            index = self.cg.add_constant(expr.numpy(), key=id(expr))
            reg = self.new_reg()
            self.emit("load_const", reg, index)
            return reg
        if isinstance(expr, Call):
            return self._call(expr)
        if isinstance(expr, Tuple):
            fields = tuple(self.visit(f) for f in expr.fields)
            reg = self.new_reg()
            self.emit("alloc_adt", reg, 0, fields)
            return reg
        if isinstance(expr, TupleGetItem):
            obj = self.visit(expr.tuple_value)
            reg = self.new_reg()
            self.emit("get_field", reg, obj, int(expr.index))
            return reg
        if isinstance(expr, Let):
            return self._let(expr)
        if isinstance(expr, If):
            return self._if(expr)
        if isinstance(expr, Match):
            return self._match(expr)
        if isinstance(expr, Function):
            return self._closure(expr, None)
        if isinstance(expr, GlobalVar):
            reg = self.new_reg()
            self.emit("alloc_closure", reg, self._global_index(expr), ())
            return reg
        if isinstance(expr, Constructor):
            reg = self.new_reg()
            self.emit("alloc_closure", reg, self.cg.constructor_wrapper(expr), ())
            return reg
        if isinstance(expr, RefCreate):
            value = self.visit(expr.value)
            reg = self.new_reg()
            self.emit("alloc_ref", reg, value)
            return reg
        if isinstance(expr, RefRead):
            ref = self.visit(expr.ref)
            reg = self.new_reg()
            self.emit("ref_read", reg, ref)
            return reg
        if isinstance(expr, RefWrite):
            ref = self.visit(expr.ref)
            value = self.visit(expr.value)
            reg = self.new_reg()
            self.emit("ref_write", reg, ref, value)
            return reg
        if _is_op(expr):
            raise TypeError(f"operator {expr.name} used as a value; operators can only be called")
        raise TypeError(f"the VM compiler cannot compile a {type(expr).__name__}")

    def _global_index(self, gvar):
        name = gvar.name_hint
        if name not in self.cg.global_index:
            raise ValueError(f"global function {name!r} is not in the module")
        return self.cg.global_index[name]

    def _closure(self, func, self_var):
        if func.is_primitive:
            raise ValueError("a primitive function can only be called")
        captured = [v for v in free_vars(func) if v is not self_var and v not in self.prim_vars]
        self._lift_count += 1
        name = f"lifted_{self.name}_{self._lift_count}"
        index = self.cg.lift(name, func, captured, self_var, self.prim_vars)
        reg = self.new_reg()
        self.emit("alloc_closure", reg, index, tuple(self.visit(v) for v in captured))
        return reg

    def _let(self, expr):
        while isinstance(expr, Let):
            var, value = expr.var, expr.value
            if isinstance(value, Function) and value.is_primitive:
                self.prim_vars[var] = value
            elif isinstance(value, Function) and var in free_vars(value):
                self.env[var] = self._closure(value, var)
            else:
                self.env[var] = self.visit(value)
            expr = expr.body
        return self.visit(expr)

    def _if(self, expr):
        cond = self.visit(expr.cond)
        one = self.new_reg()
        self.emit("load_consti", one, 1)
        branch = self.emit("if", cond, one, 1, 0)
        dst = self.new_reg()
        self.emit("move", dst, self._scoped(expr.true_branch))
        jump = self.emit("goto", 0)
        false_start = len(self.code)
        self.emit("move", dst, self._scoped(expr.false_branch))
        self.code[branch] = ("if", cond, one, 1, false_start - branch)
        self.code[jump] = ("goto", len(self.code) - jump)
        return dst

    def _match(self, expr):
        data = self.visit(expr.data)
        dst = self.new_reg()
        ends = []
        for clause in expr.clauses:
            fails = []
            bindings = {}
            self._pattern(clause.lhs, data, bindings, fails)
            self.emit("move", dst, self._scoped(clause.rhs, bindings))
            ends.append(self.emit("goto", 0))
            next_clause = len(self.code)
            for pc in fails:
                inst = self.code[pc]
                self.code[pc] = inst[:4] + (next_clause - pc,)
        self.emit("fatal")
        end = len(self.code)
        for pc in ends:
            self.code[pc] = ("goto", end - pc)
        return dst

    def _pattern(self, pattern, reg, bindings, fails):
        if isinstance(pattern, PatternWildcard):
            return
        if isinstance(pattern, PatternVar):
            bindings[pattern.var] = reg
            return
        if isinstance(pattern, PatternConstructor):
            tag = self.new_reg()
            self.emit("get_tag", tag, reg)
            want = self.new_reg()
            self.emit("load_consti", want, int(pattern.constructor.tag))
            fails.append(self.emit("if", tag, want, 1, 0))
            subpatterns = pattern.patterns
        elif isinstance(pattern, PatternTuple):
            subpatterns = pattern.patterns
        else:
            raise TypeError(f"unknown pattern {pattern!r}")
        for index, sub in enumerate(subpatterns):
            if isinstance(sub, PatternWildcard):
                continue
            field = self.new_reg()
            self.emit("get_field", field, reg, index)
            self._pattern(sub, field, bindings, fails)

    # -- calls ------------------------------------------------------------------------------
    def _call(self, call):
        op = call.op
        if _is_op(op):
            return self._primitive(_wrap_op(call), call.args, call)
        if isinstance(op, Function) and op.is_primitive:
            return self._primitive(op, call.args, call)
        if isinstance(op, Var) and op in self.prim_vars:
            return self._primitive(self.prim_vars[op], call.args, call)
        if isinstance(op, Constructor):
            fields = tuple(self.visit(a) for a in call.args)
            reg = self.new_reg()
            self.emit("alloc_adt", reg, int(op.tag), fields)
            return reg
        if isinstance(op, GlobalVar):
            target = self.cg.mod[op]
            if isinstance(target, Function) and target.is_primitive:
                return self._primitive(target, call.args, call)
            args = tuple(self.visit(a) for a in call.args)
            reg = self.new_reg()
            self.emit("invoke", reg, self._global_index(op), args)
            return reg
        closure = self.visit(op)
        args = tuple(self.visit(a) for a in call.args)
        reg = self.new_reg()
        self.emit("invoke_closure", reg, closure, args)
        return reg

    def _primitive(self, func, args, call):
        ret_type = call.checked_type
        static = is_static(ret_type) and all(is_static(p.checked_type) for p in func.params)
        arg_regs = [self.visit(a) for a in args]
        reg = self.new_reg()
        if is_reshape_only(func) and isinstance(ret_type, _ty.TensorType):
            if static:
                shape = np.array([int(d) for d in ret_type.shape], dtype="int64")
                shape_reg = self.new_reg()
                index = self.cg.add_constant(shape, key=("shape",) + tuple(shape.tolist()))
                self.emit("load_const", shape_reg, index)
                self.emit("reshape_tensor", reg, arg_regs[0], shape_reg, None)
            else:
                self.emit("reshape_tensor", reg, arg_regs[0], None, self.cg.add_dynamic(func))
            return reg
        if not static:
            self.emit("invoke_jit", reg, self.cg.add_dynamic(func), tuple(arg_regs))
            return reg
        cg = self.cg
        cached = cg.engine.lower(func, cg.target, use_topi_schedule=cg.mode)
        packed = cg.add_packed(cached.func_name, cached.prim_func)
        inputs = list(arg_regs)
        if cached.input_transforms:
            inputs = self._transform_inputs(cached, args, arg_regs)
        outputs = []
        for shape, dtype in _tensor_types(ret_type):
            storage = self.new_reg()
            size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
            self.emit("alloc_storage", storage, size, 64, dtype)
            out = self.new_reg()
            self.emit("alloc_tensor", out, storage, 0, shape, dtype)
            outputs.append(out)
        regs = tuple(inputs + outputs)
        self.emit("invoke_packed", packed, len(regs), len(outputs), regs)
        if isinstance(ret_type, _ty.TupleType):
            self._nest(ret_type, iter(outputs), reg)
        else:
            self.emit("move", reg, outputs[0])
        return reg

    def _nest(self, ty, outputs, dst):
        fields = []
        for field in ty.fields:
            if isinstance(field, _ty.TupleType):
                sub = self.new_reg()
                self._nest(field, outputs, sub)
                fields.append(sub)
            else:
                fields.append(next(outputs))
        self.emit("alloc_adt", dst, 0, tuple(fields))

    def _transform_inputs(self, cached, args, arg_regs):
        """Inputs read in another layout: constants transformed now, others by a kernel."""
        if any(_count_tensors(a.checked_type) != 1 for a in args):
            raise NotImplementedError(
                f"{cached.func_name}: a kernel with layout-transformed inputs and tuple arguments"
            )
        inputs = list(arg_regs)
        for index, transform in sorted(cached.input_transforms.items()):
            arg = args[index]
            if isinstance(arg, Constant):
                key = ("transformed", id(arg), cached.func_name, index)
                const = self.cg.add_constant(transform.apply_numpy(arg.numpy()), key=key)
                reg = self.new_reg()
                self.emit("load_const", reg, const)
                inputs[index] = reg
                continue
            name = f"{cached.func_name}_input{index}_transform"
            packed = self.cg.add_packed(name, transform.prim_func.with_attr("global_symbol", name))
            storage = self.new_reg()
            size = int(np.prod(transform.new_shape, dtype=np.int64)) * np.dtype(transform.dtype).itemsize
            self.emit("alloc_storage", storage, size, 64, transform.dtype)
            out = self.new_reg()
            self.emit("alloc_tensor", out, storage, 0, tuple(transform.new_shape), transform.dtype)
            self.emit("invoke_packed", packed, 2, 1, (arg_regs[index], out))
            inputs[index] = out
        return inputs


def _wrap_op(call):
    """A primitive function around one operator call (an op called outside a fused function)."""
    from ..module import IRModule  # pylint: disable=import-outside-toplevel
    from .. import transform  # pylint: disable=import-outside-toplevel

    params = [Var(f"p{i}", a.checked_type) for i, a in enumerate(call.args)]
    func = Function(params, Call(call.op, params, call.attrs, call.type_args))
    func = func.with_attr("Primitive", tvm.tirx.IntImm("int32", 1))
    return transform.InferType()(IRModule.from_expr(func))["main"]


def compile_kernels(lowered, target):
    """One runtime module with every kernel (an empty one when there is none)."""
    return tvm.compile(tvm.IRModule(dict(lowered)), target=target).mod
