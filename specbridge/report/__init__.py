"""Formatters over check results: `summary` (Keras model.summary()) and `explain` (the arithmetic).

No shape logic lives here: everything printed comes from the LayerRecords that shape inference
produced (shapes, params, and the `steps` behind them).
"""
