# Filature: `make demo` sets everything up and serves the demo; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo
DEMO_SENDERS ?= 20000
PORT   ?= 8000

.PHONY: install demo test test-fast bench lint clean serve

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@if [ -f filature/web/package.json ]; then $(MAKE) --no-print-directory assets; fi
	touch $@

# Front-end packages come from the npm registry at set-up and are served locally.
assets:
	cd filature/web && npm ci --no-audit --no-fund --loglevel=error && node copy-assets.mjs

demo: install
	$(BIN)/filature synth $(DEMO) --senders $(DEMO_SENDERS)
	rm -f $(DEMO)/filature.duckdb
	$(BIN)/filature --db $(DEMO)/filature.duckdb ingest $(DEMO)/transfers.csv
	$(BIN)/filature --db $(DEMO)/filature.duckdb ingest $(DEMO)/operator_export.csv --mapping $(DEMO)/operator_export.toml
	$(BIN)/filature --db $(DEMO)/filature.duckdb screen
	$(BIN)/filature --db $(DEMO)/filature.duckdb targets --format csv --out $(DEMO)/targets.csv
	$(BIN)/filature --db $(DEMO)/filature.duckdb facilitators --format csv --out $(DEMO)/facilitators.csv
	$(BIN)/filature --db $(DEMO)/filature.duckdb summary --out $(DEMO)/summary.html
	FILATURE_CASES_URL=sqlite:///$(DEMO)/cases.sqlite FILATURE_EVIDENCE_DIR=$(DEMO)/evidence \
	  $(BIN)/filature --db $(DEMO)/filature.duckdb serve --port $(PORT)

test: install
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not e2e and not slow"

bench: install
	$(BIN)/python benchmarks/screening.py --transfers 500000 --buyers 300 --workdir benchmarks/out/screening-500k
	$(BIN)/python benchmarks/screening.py --transfers 1000000 --buyers 600
	$(BIN)/python benchmarks/resolution.py --transfers 500000 --screen
	$(BIN)/python benchmarks/web_load.py --transfers 1000000 --reuse

lint: install
	$(BIN)/ruff check filature tests benchmarks
	$(BIN)/mypy filature

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
