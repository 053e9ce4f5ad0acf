# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out
EXAMPLE := examples/amini2016

.PHONY: demo serve test lint typecheck unit bench clean

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

SERVE_DB   ?= sqlite:///$(OUT)/serve.db
SERVE_PORT ?= 8000
DEMO_USER  ?= demo
DEMO_PASSWORD ?= demo-password

serve: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/pseudoprog db import --database $(SERVE_DB) --lesions $(EXAMPLE)/lesions.csv \
		--measurements $(EXAMPLE)/measurements.csv --events $(EXAMPLE)/events.csv
	@printf '%s\n' '$(DEMO_PASSWORD)' | $(BIN)/pseudoprog users add $(DEMO_USER) --role editor \
		--password-stdin --database $(SERVE_DB) 2>/dev/null || true
	@echo
	@echo "pseudoprog: open http://127.0.0.1:$(SERVE_PORT)/ and log in as $(DEMO_USER) / $(DEMO_PASSWORD)"
	$(BIN)/pseudoprog serve --database $(SERVE_DB) --port $(SERVE_PORT)

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
