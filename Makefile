# Xinkan — the two commands of the README, and the development commands.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-dev check lint format migrate messages serve clean seed-scale bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Front-end packages (ECharts) from the npm registry, served by the project itself.
ASSETS := xinkan/web/static/vendor/echarts/echarts.min.js
$(ASSETS): package.json package-lock.json scripts/assets.sh
	./scripts/assets.sh

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed $(ASSETS)
install-dev: $(VENV)/.installed-dev $(ASSETS)

## make demo: install, migrate, load the demo district, print the accounts, serve on http://127.0.0.1:8000
demo: install
	XINKAN_DEBUG=1 XINKAN_DEMO=1 $(PY) manage.py migrate --noinput
	XINKAN_DEBUG=1 XINKAN_DEMO=1 $(PY) manage.py seed_demo
	@echo "Xinkan demo: http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	XINKAN_DEBUG=1 XINKAN_DEMO=1 $(PY) manage.py runserver $(HOST):$(PORT)

## make test: install what the tests need and run lint, types and the whole suite
test: install-dev
	./scripts/test.sh

check: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy xinkan

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: install
	XINKAN_DEBUG=1 $(PY) manage.py migrate

## make messages: refresh the translation catalogues after changing UI strings
messages: install-dev
	cd xinkan && XINKAN_DEBUG=1 ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete --add-location file
	cd xinkan && XINKAN_DEBUG=1 ../$(PY) ../manage.py compilemessages

serve: install
	XINKAN_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# --- Scale and speed (PostgreSQL; give DATABASE_URL, e.g. postgresql://postgres@127.0.0.1/xinkan_bench)
# Production settings (DEBUG off) with keys for the generated data only; never use them elsewhere.
PRESET ?= district
BENCH_ENV = XINKAN_DEBUG= SECRET_KEY=xinkan-benchmark-only \
	XINKAN_DATA_KEYS=bench:eGlua2FuLWJlbmNobWFyay1kYXRhLWtleS0zMmJ5dGU= \
	XINKAN_INDEX_KEY=eGlua2FuLWJlbmNobWFyay1pbmRleC1rZXktMzJieXQ= \
	ALLOWED_HOSTS=127.0.0.1,localhost

## make seed-scale PRESET=district|city|small: generate (or complete) the data set
seed-scale: install
	$(BENCH_ENV) $(PY) manage.py migrate --noinput
	$(BENCH_ENV) $(PY) manage.py seed_scale --preset $(PRESET)

## make bench PRESET=district: seed if needed, then measure; figures in var/bench/bench-*.json
bench: install
	$(BENCH_ENV) $(PY) manage.py migrate --noinput
	$(BENCH_ENV) $(PY) manage.py bench --preset $(PRESET) $(BENCH_ARGS)
