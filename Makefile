# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint i18n shell clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sansang run

shell: $(STAMP)
	$(BIN)/sansang shell

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Extract messages from the code, merge them into the vi and en catalogs, compile them.
i18n: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -k _ -k N_ -o bot/locale/messages.pot bot
	$(BIN)/pybabel update --no-fuzzy-matching -i bot/locale/messages.pot -d bot/locale -D messages
	$(BIN)/pybabel compile --statistics -d bot/locale -D messages

clean:
	rm -rf $(VENV)
