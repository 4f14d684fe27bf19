"""Static shape inference: pure rules, per-layer inference functions, and the graph walk."""
