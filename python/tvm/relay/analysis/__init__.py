"""Analyses of Relay expressions (no pass here changes the IR)."""
from .analysis import (
    all_vars,
    bound_vars,
    free_vars,
    post_order_visit,
)
from .fc_transpose import search_fc_transpose
from .variables import (  # Match-aware, 0.8's order of variables
    all_dtypes,
    all_type_vars,
    all_vars,
    bound_type_vars,
    bound_vars,
    free_type_vars,
    free_vars,
)
from . import feature, call_graph
from .feature import Feature, detect_feature
from .call_graph import CallGraph
from .kind_check import check_kind
from .well_formed import check_constant, well_formed
from .scopes import check_basic_block_normal_form
from .extract import extract_fused_functions, get_calibration_data, list_op_freqs
from .mac_count import get_total_mac_number
from .count_layers import count_layers
from .match_exhaustion import unmatched_cases
from . import _ffi_api  # 0.8's test entry point of the type solver
from ..transform.merge_compiler_regions import AnnotatedRegionSet  # noqa: E402  (0.8's relay.analysis.AnnotatedRegionSet)
