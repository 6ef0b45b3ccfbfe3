"""Variable analyses and the post-order walk."""
from ..expr_functor import ExprVisitor, post_order_visit

__all__ = ["free_vars", "bound_vars", "all_vars", "post_order_visit"]


class _VarCollector(ExprVisitor):
    def __init__(self):
        super().__init__()
        self.bound = []
        self.bound_set = set()
        self.used = []
        self.used_set = set()

    def _bind(self, var):
        if var not in self.bound_set:
            self.bound_set.add(var)
            self.bound.append(var)

    def visit_function(self, fn):
        for param in fn.params:
            self._bind(param)
        self.visit(fn.body)

    def visit_let(self, let):
        self._bind(let.var)
        self.visit(let.value)
        self.visit(let.body)

    def visit_var(self, var):
        if var not in self.used_set:
            self.used_set.add(var)
            self.used.append(var)


def _collect(expr):
    collector = _VarCollector()
    collector.visit(expr)
    return collector


def free_vars(expr):
    """Variables used in ``expr`` and not bound inside it, in order of first use."""
    collector = _collect(expr)
    return [v for v in collector.used if v not in collector.bound_set]


def bound_vars(expr):
    """Variables bound inside ``expr`` (parameters and let names), in order of binding."""
    return list(_collect(expr).bound)


def all_vars(expr):
    """Every variable of ``expr``, bound ones first, then free ones."""
    collector = _collect(expr)
    return collector.bound + [v for v in collector.used if v not in collector.bound_set]
