"""Constants shared by the graph tuner's parts (0.8's names)."""

# Cost given to a layout transformation that cannot be measured.
INVALID_LAYOUT_TIME = 10e9

# Largest number of consumers a node may have in the dynamic-programming tuner.
MAX_OUTPUT_NODES = 16

# Operators that are not counted as inputs of a node (they are inserted by the
# tuner itself between its candidates).
OPT_OUT_OP = ["layout_transform"]
