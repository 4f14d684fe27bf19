# Everyday commands. Each target runs scripts/setup first (quick when .venv is already current).
# Without make: `bash scripts/setup`, then the commands below with .venv/bin/ in front.

VENV := .venv
PY := $(VENV)/bin/python
SPECBRIDGE := $(VENV)/bin/specbridge
# The spec the demo summarizes and explains.
DEMO_SPEC ?= fixtures/valid/strided_conv_128.spec.yaml
# The test command; .ci/run and the README use the same one. --dist loadfile keeps each test module (and its one
# Keras import) on one worker.
PYTEST := $(PY) -m pytest -n 2 --dist loadfile

.PHONY: setup demo test bench lint schema clean

setup:
	@bash scripts/setup

demo: setup
	@echo "== specbridge check fixtures/valid  (every valid fixture: expect no errors)"
	$(SPECBRIDGE) check fixtures/valid
	@echo
	@echo "== specbridge summary $(DEMO_SPEC)"
	$(SPECBRIDGE) summary $(DEMO_SPEC)
	@echo
	@echo "== specbridge explain $(DEMO_SPEC)"
	$(SPECBRIDGE) explain $(DEMO_SPEC)
	@echo
	@echo "== specbridge check fixtures/invalid  (deliberately broken specs: expect errors, and exit code 2 because one"
	@echo "   of them, alias_bomb.spec.yaml, is hostile input that is refused outright)"
	@status=0; $(SPECBRIDGE) check fixtures/invalid || status=$$?; \
	if [ $$status -eq 2 ]; then echo "(exit 2, as expected: every broken fixture is reported, and the refused one makes it 2; tests/fixtures/ checks each one's exact diagnostics)"; \
	else echo "unexpected exit code $$status from checking fixtures/invalid" >&2; exit 1; fi

test: setup
	$(PYTEST)

bench: setup
	$(PY) bench/bench_check.py

lint: setup
	$(VENV)/bin/ruff check .

schema: setup
	$(SPECBRIDGE) schema -o schemas/specbridge.schema.json

clean:
	rm -rf build dist .pytest_cache .ruff_cache bench/results
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
