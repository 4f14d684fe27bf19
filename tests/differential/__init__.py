"""Differential testing against real Keras 3: generated specs, Keras as the referee (issue 6).

strategy.py draws specs over every layer type and argument of the catalog; keras_build.py builds a spec in Keras
(shared with tests/fixtures/test_differential_keras.py); referee.py compares specbridge's verdict, shapes and
parameter counts with Keras's (and, for valid specs, the emitted PyTorch model's shapes); known.py lists every
difference still open or deliberate, with its reason; campaign.py runs many examples and groups the differences.
"""
