# Greenlight: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# The portal listens on loopback only; HOST=0.0.0.0 make run serves other machines too.
HOST   ?= 127.0.0.1
# The scoring gateway make run starts beside the portal, always on loopback.
GATEWAY_PORT ?= 8080
# The suite, split over the machine's cores by module, so a module-wide fixture is built once.
PYTEST_ARGS ?= -n auto --dist loadscope
# A free port for this run's PostgreSQL cluster, so two runs on one machine never share one
# (its data folder is named after the port).
ifeq ($(origin PG_PORT), undefined)
PG_PORT := $(shell $(PYTHON) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endif
# The same for the local S3-compatible server the artifact store's S3 tests use.
ifeq ($(origin S3_PORT), undefined)
S3_PORT := $(shell $(PYTHON) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endif

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/greenlight db upgrade
	$(BIN)/greenlight serve --host 127.0.0.1 --port $(GATEWAY_PORT) &  # it prints its address; Ctrl-C stops it too
	# The demo builds in the background: every page works meanwhile and shows how far it has come.
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/greenlight demo --if-empty > $${GREENLIGHT_HOME:-.greenlight}/demo-build.log 2>&1 &
	@echo "  Demo: building in the background if the database is empty (log: $${GREENLIGHT_HOME:-.greenlight}/demo-build.log)"
	@echo "  Demo accounts (user / password): ada, dana, bea, rick, cora, vic — each with the password <user>-demo-password"
	@echo ""
	@echo "  Greenlight portal: http://$(HOST):$(PORT)"
	@echo ""
	$(BIN)/streamlit run portal/server.py --server.address $(HOST) --server.port $(PORT) --server.headless true

# Installs what the tests need (Chromium, PostgreSQL), runs the whole suite, stops what it started.
test: $(VENV)/.installed-test
	.ci/browser.sh
	.ci/postgres.sh start $(PG_PORT)
	BIN=$(BIN) .ci/s3.sh start $(S3_PORT) || { .ci/postgres.sh stop $(PG_PORT); exit 1; }
	status=0; \
	OMP_NUM_THREADS=1 GREENLIGHT_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$(PG_PORT)/postgres \
	GREENLIGHT_TEST_S3_URL=http://127.0.0.1:$(S3_PORT) \
	GREENLIGHT_REQUIRE_PG=1 GREENLIGHT_REQUIRE_S3=1 GREENLIGHT_REQUIRE_BROWSER=1 \
	$(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	BIN=$(BIN) .ci/s3.sh stop $(S3_PORT); \
	.ci/postgres.sh stop $(PG_PORT); \
	exit $$status

bench: $(VENV)/.installed-test
	OMP_NUM_THREADS=1 $(BIN)/python bench/run_all.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check backend portal pages tests bench examples

clean:
	rm -rf $(VENV) .greenlight .pytest_cache
