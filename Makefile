# Two commands for a fresh machine with Python 3.11+ (see README):
#   make run    install into .venv, migrate, serve on http://127.0.0.1:8000 (SQLite + embedded Redis)
#   make test   install into .venv (with test tools) and run the test suite, all but the load test
#   make test-load  the same install, then the load test alone (50 users for 60 s, marker `load`)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-load install install-dev redis-start redis-stop migrate superuser clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The embedded Redis is started once, here, before any web worker (never from settings.py).
redis-start: $(VENV)/.installed
	@if [ -z "$$REDIS_URL" ]; then $(PY) -m sessions_store.embedded start; fi

redis-stop:
	@$(PY) -m sessions_store.embedded stop

migrate: redis-start
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

run: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

# axe-core for the browser tests' accessibility checks (they skip, saying why, without npm).
AXE_JS := var/node/node_modules/axe-core/axe.min.js
$(AXE_JS):
	@if command -v npm >/dev/null; then npm install --prefix var/node --no-audit --no-fund --silent axe-core@4.14.1; \
	else echo "npm not found: the axe-core checks of the browser tests will be skipped"; fi

test: $(VENV)/.installed-dev $(AXE_JS)
	$(PY) -m pytest $(PYTEST_ARGS)

# pytest.ini deselects the load test; the -m here selects it (the last -m wins). A run that selects
# no test (pytest's exit status 5) fails with a message rather than that bare status.
test-load: $(VENV)/.installed-dev
	$(PY) -m pytest -m load $(PYTEST_ARGS) || { status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test-load: no test marked load was selected" >&2; status=1; fi; \
	  exit $$status; }

superuser: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) .pytest_cache staticfiles
