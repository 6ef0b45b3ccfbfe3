"""The call graph of a module's global functions (0.8's ``relay.analysis.CallGraph``).

Each Relay function of the module is an entry; an edge goes from a function
to every global it mentions (called or passed as a value: ``@f`` appearing as
an argument is a use of ``@f`` too). A global node that appears twice in one
function is one edge (the walk meets each node once, as 0.8's post-order
visitor did), two separate nodes naming it are two. ``ref_count`` counts the
edges into an entry, ``global_call_count`` the edges out of it; an entry is
recursive when it has an edge to itself.

The graph is also what :func:`tvm.relay.transform.Inline` and
``RemoveUnusedFunctions`` work from: it can drop an edge (``remove_call_to``),
give the entries in topological order (callers before callees, 0.8's
breadth-first order from the entry functions) and remove a function from its
module.
"""
from ..expr import GlobalVar
from ..function import Function
from . import _nodes


class CallGraphEntry:
    """One global function: the globals it uses (one item per edge) and how
    many edges point at it."""

    def __init__(self, gvar):
        self.gvar = gvar
        self.calls = []
        self.ref_count = 0
        self.is_recursive = False

    @property
    def name_hint(self):
        return self.gvar.name_hint

    def add_call(self, callee):
        self.calls.append(callee)
        callee.ref_count += 1
        if callee is self:
            self.is_recursive = True

    def remove_call_to(self, callee):
        """Drop one edge to ``callee``."""
        for i, entry in enumerate(self.calls):
            if entry is callee:
                callee.ref_count -= 1
                self.calls[i] = self.calls[-1]
                self.calls.pop()
                return
        raise ValueError(f"{self.name_hint} has no call to {callee.name_hint} to remove")

    def remove_all_calls_to(self, callee):
        kept = [c for c in self.calls if c is not callee]
        callee.ref_count -= len(self.calls) - len(kept)
        self.calls = kept

    def clear_calls(self):
        while self.calls:
            self.calls.pop().ref_count -= 1

    def is_recursive_entry(self):
        """Recursive and used only by itself."""
        return self.is_recursive and self.ref_count == 1

    def describe(self):
        lines = [f"Call graph node: {self.name_hint} at: {id(self):#x},  #refs = {self.ref_count}"]
        for callee in self.calls:
            lines.append(f"  call site: <{self.name_hint}> calls {callee.name_hint}")
        return "\n".join(lines) + "\n\n"


def _globals_used(func):
    """Global variable nodes of ``func``, each node once, in post order."""
    return [n for n in _nodes.post_order(func) if isinstance(n, GlobalVar)]


class CallGraph:
    """The call graph of ``module`` (see the module docstring).

    Parameters
    ----------
    module : tvm.IRModule
    """

    def __init__(self, module):
        self._module = module
        self._entries = {}
        for gvar, func in module.functions_items():
            if isinstance(func, Function):
                entry = self._lookup(gvar)
                for used in _globals_used(func):
                    entry.add_call(self._lookup(used))

    def _lookup(self, gvar):
        name = gvar.name_hint
        entry = self._entries.get(name)
        if entry is None:
            if name not in self._module:
                raise ValueError(f"GlobalVar {name} not found in the current ir module")
            entry = CallGraphEntry(self._module.get_global_var(name))
            self._entries[name] = entry
        return entry

    def entry(self, var):
        """The :class:`CallGraphEntry` of a global (name or ``GlobalVar``)."""
        name = self._name(var)
        if name not in self._entries:
            raise ValueError(f"GlobalVar {name} not found in the call graph")
        return self._entries[name]

    @staticmethod
    def _name(var):
        if isinstance(var, str):
            return var
        if hasattr(var, "name_hint"):
            return str(var.name_hint)
        raise TypeError("var should be either a string or GlobalVar")

    @property
    def module(self):
        """The module of the graph (updated by the passes that use the graph)."""
        return self._module

    def ref_count(self, var):
        """How many uses of the global ``var`` the graph has (edges into it)."""
        return self.entry(var).ref_count

    def global_call_count(self, var):
        """How many global uses the function ``var`` makes (edges out of it)."""
        return len(self.entry(var).calls)

    def is_recursive(self, var):
        """Whether the function ``var`` uses itself."""
        return self.entry(var).is_recursive

    def print_var(self, var):
        """The entry of ``var`` as text (its reference count and call sites)."""
        return self.entry(var).describe()

    def entries(self):
        """All entries (in module order)."""
        return list(self._entries.values())

    def entry_functions(self):
        """Entries nothing else uses (or only they themselves)."""
        return [e for e in self._entries.values() if e.ref_count == 0 or e.is_recursive_entry()]

    def topological_order(self):
        """Entries callers first: for each entry function, a breadth-first walk
        of what it uses; later entry functions' walks go first (0.8's order)."""
        order = []
        visited = set()
        for root in self.entry_functions():
            level = []
            if id(root) not in visited:
                visited.add(id(root))
                level.append(root)
            walk = []
            while level:
                following = []
                for entry in level:
                    walk.append(entry)
                    for callee in entry.calls:
                        if id(callee) not in visited:
                            visited.add(id(callee))
                            following.append(callee)
                level = following
            order = walk + order
        if len(order) != len(self._entries):
            missing = [e.name_hint for e in self._entries.values() if id(e) not in visited]
            raise ValueError(
                f"the call graph has globals no entry function reaches: {missing} "
                "(mutually recursive functions that nothing else calls)"
            )
        return order

    def remove_from_module(self, entry):
        """Delete ``entry``'s function from the module and from the graph."""
        if entry.calls and not (entry.is_recursive and len(entry.calls) == 1):
            raise ValueError(
                f"cannot remove {entry.name_hint}: it still uses {len(entry.calls)} globals"
            )
        for other in self._entries.values():
            other.remove_all_calls_to(entry)
        del self._entries[entry.name_hint]
        del self._module[entry.name_hint]
        return entry.gvar

    def __str__(self):
        return "".join(e.describe() for e in self.topological_order())

    def __repr__(self):
        return "CallGraph: \n" + str(self)


__all__ = ["CallGraph", "CallGraphEntry"]
