# Two commands matter: `make run` and `make test` (README.md). Both start from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install assets migrate demo bench clean translations lock

# Exact versions from the lock file (docs/deploy.md, "Reproducible installs"); the app itself without deps.
$(VENV)/.installed: pyproject.toml requirements.lock requirements-test.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Thetsakan needs Python 3.11 or newer (python3 --version).")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-test.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

# Browser code comes from npm when Node is present; the pages work without it
# (typed and wedge scanning), the camera decoder needs it.
# Files as targets: a second `make test` (CI runs two at once) finds them made and leaves
# node_modules alone instead of deleting and installing it again under the other run.
assets: $(VENV)/.installed
	@if [ ! -f package.json ]; then true; \
	 elif command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory checkin/static/build/vendor.js; \
	 else echo "npm not found: the scanner page will accept typed codes only (install Node.js for the camera)."; fi

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

checkin/static/build/vendor.js: checkin/assets/vendor.js node_modules/.installed
	npm run --silent build

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

run: $(VENV)/.installed assets migrate
	$(FLASK) demo load --if-empty
	$(FLASK) up

test: $(VENV)/.installed assets
	$(BIN)/python -m pytest $(PYTEST_ARGS)

translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o /tmp/thetsakan.pot .

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run_all

# Renew the lock files on purpose (newer releases, or a dependency changed in pyproject.toml), then make test.
PIP_COMPILE = $(BIN)/pip-compile --quiet --upgrade --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements.lock --output-file requirements-test.lock pyproject.toml

clean:
	rm -rf $(VENV) instance node_modules app/static/build checkin/static/build
