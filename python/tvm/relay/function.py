"""Relay functions."""
from . import ty as _ty
from .attrs import DictAttrs
from .expr import NodeArray, RelayExpr, Var


class Function(RelayExpr):
    """A function: parameters, a body, an optional return type and attributes.

    Attributes such as ``"Primitive"`` (a fused kernel), ``"global_symbol"`` or
    ``"Compiler"`` are set with :meth:`with_attr`, which returns a new function.

    Parameters
    ----------
    params : list of Var
    body : RelayExpr
    ret_type : Type, optional
    type_params : list, optional
        Kept for API compatibility (Relay here is monomorphic).
    attrs : DictAttrs or dict, optional
    """

    __slots__ = ("params", "body", "ret_type", "type_params", "attrs")

    def __init__(self, params, body, ret_type=None, type_params=None, attrs=None, span=None):
        super().__init__()
        self.params = NodeArray(params)
        for param in self.params:
            if not isinstance(param, Var):
                raise TypeError(f"function parameters must be relay Vars, got {param!r}")
        if not isinstance(body, RelayExpr):
            raise TypeError(f"function body must be a relay expression, got {body!r}")
        self.body = body
        if ret_type is not None and not isinstance(ret_type, _ty.Type):
            raise TypeError(f"ret_type must be a relay type, got {ret_type!r}")
        self.ret_type = ret_type
        self.type_params = tuple(type_params or ())
        if attrs is None:
            attrs = DictAttrs()
        elif isinstance(attrs, dict):
            attrs = DictAttrs(attrs)
        self.attrs = attrs
        self.span = span

    def with_attr(self, attr_key, attr_value=None):
        """A copy of this function with one attribute set (or several, from a dict)."""
        changes = attr_key if isinstance(attr_key, dict) else {attr_key: attr_value}
        func = Function(
            self.params, self.body, self.ret_type, self.type_params, self.attrs.with_fields(**changes)
        )
        func._checked_type_ = self._checked_type_
        return func

    def without_attr(self, attr_key):
        fields = {k: v for k, v in self.attrs.items() if k != attr_key}
        func = Function(self.params, self.body, self.ret_type, self.type_params, DictAttrs(fields))
        func._checked_type_ = self._checked_type_
        return func

    def get_attr(self, key, default=None):
        return self.attrs.get(key, default)

    @property
    def is_primitive(self):
        """True for a fused kernel (``"Primitive"`` attribute set to 1)."""
        return bool(self.attrs.get("Primitive", 0))

    def __call__(self, *args):
        from .expr import Call  # pylint: disable=import-outside-toplevel

        return Call(self, args)
