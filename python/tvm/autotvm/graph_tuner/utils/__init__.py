"""Graph helpers of the graph tuner (0.8's ``graph_tuner.utils``): a Relay
function as a list of nodes, and the ancestor/consumer maps of its tuned nodes."""
from . import traverse_graph, utils
from .traverse_graph import expr2graph, get_direct_ancestor, get_in_nodes, get_out_nodes
from .utils import bind_inputs, has_multiple_inputs, is_boundary_node, is_skipped_node
