# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out
EXAMPLE := examples/amini2016

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dicom]"
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/pseudoprog classify --lesions $(EXAMPLE)/lesions.csv \
		--measurements $(EXAMPLE)/measurements.csv --events $(EXAMPLE)/events.csv
	$(BIN)/pseudoprog classify --lesions $(EXAMPLE)/lesions.csv \
		--measurements $(EXAMPLE)/measurements.csv --events $(EXAMPLE)/events.csv \
		--format json --output $(OUT)/classification.json
	@echo
	@echo "Classification written to $(OUT)/classification.json"
	$(BIN)/pseudoprog study --lesions $(EXAMPLE)/lesions.csv \
		--measurements $(EXAMPLE)/measurements.csv --events $(EXAMPLE)/events.csv \
		--synthetic measurements --synthetic events --output $(OUT)/study
	@echo
	@echo "Study report (synthetic histories on Table 1 of Amini et al. 2016): $(OUT)/study/report.html"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/classify.py
	$(BIN)/python benchmarks/perfusion.py
	$(BIN)/python benchmarks/assess_validation.py
	$(BIN)/python benchmarks/fuzz.py

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache
