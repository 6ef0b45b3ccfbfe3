"""The NumPy reference interpreter of Relay."""
from .interpreter import Closure, Executor, Interpreter, create_executor, eval_expr
