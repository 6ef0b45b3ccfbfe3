"""Analyses of Relay expressions (no pass here changes the IR)."""
from .analysis import (
    all_vars,
    bound_vars,
    free_vars,
    post_order_visit,
)
from .fc_transpose import search_fc_transpose
