"""The `specbridge` command line: app.py wires one module per command; the work happens in the library."""
