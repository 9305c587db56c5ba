# MyAgent — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Tests use a local Redis (Celery broker, channel layer) when one answers or can be started.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test lint typecheck migrations-check pytest bench messages redis clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Serve the whole product on http://127.0.0.1:$(PORT) (embedded DB, worker, demo model).
run: install
	$(BIN)/python -m myagent.devdb.devserver --port $(PORT)

## Lint, type checks, migrations check and the whole test suite.
test: install lint typecheck migrations-check pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy .

migrations-check:
	DJANGO_SETTINGS_MODULE=myagent.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

redis:
	@redis-cli -p 6379 ping >/dev/null 2>&1 || \
	  (command -v redis-server >/dev/null && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null) || \
	  echo "Redis not available: tests that need a Celery worker over Redis will be skipped."

pytest: redis
	REDIS_URL=$$(redis-cli -p 6379 ping >/dev/null 2>&1 && echo $(TEST_REDIS_URL)) $(BIN)/python -m pytest -p no:cacheprovider

## Response-time benchmark against a raw LLM call (see bench/README.md).
bench: install
	$(BIN)/python -m bench.run

messages: install
	DJANGO_SETTINGS_MODULE=myagent.settings.test $(BIN)/python manage.py makemessages -l es -l en --ignore=.venv --ignore=node_modules --ignore=examples
	DJANGO_SETTINGS_MODULE=myagent.settings.test $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf .devdb .pytest_cache .mypy_cache .ruff_cache
