# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export WORKBOOK_DB_URL ?= workbook.db
# Keep Jupyter, IPython and matplotlib state inside the work tree (CI writes nowhere else).
export JUPYTER_CONFIG_DIR  := $(CURDIR)/.jupyter/config
export JUPYTER_DATA_DIR    := $(CURDIR)/.jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.jupyter/runtime
export IPYTHONDIR          := $(CURDIR)/.jupyter/ipython
export MPLCONFIGDIR        := $(CURDIR)/.jupyter/matplotlib
export MPLBACKEND          := Agg

.PHONY: demo test install system-deps benchmarks clean

JUPYTER_DIRS := .jupyter/config .jupyter/data .jupyter/runtime .jupyter/ipython .jupyter/matplotlib
$(JUPYTER_DIRS):
	mkdir -p $@

$(STAMP): pyproject.toml | $(JUPYTER_DIRS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,parquet,dask]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests (never `playwright install`).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

demo: $(STAMP) | $(JUPYTER_DIRS)
	$(BIN)/workbook init
	$(BIN)/workbook cohort import cohorts/example
	$(BIN)/workbook sample example
	$(BIN)/workbook match example
	$(BIN)/workbook report example
	@echo
	@echo "Personal links for three people of the sample cohort (a participant, a coach, the facilitator):"
	$(BIN)/workbook invite example --person p01 --person c01 --person f01
	@echo
	@echo "Each person's first link is their home page; the coach's link opens the coach page, the facilitator's the retro desk."
	@echo "Coaches and facilitators who run their own JupyterLab: '$(BIN)/jupyter lab notebooks/' (coach/review, facilitator/live_retro, facilitator/matching)."
	@echo "Serving the forms now; open a link above in your browser. Ctrl-C stops the server."
	$(BIN)/workbook serve

test: $(STAMP) system-deps | $(JUPYTER_DIRS)
	$(BIN)/python -m pytest tests -n 2 --dist loadfile

benchmarks: $(STAMP) system-deps
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/reports_dask.py
	$(BIN)/python benchmarks/forms.py
	$(BIN)/python benchmarks/server.py
	$(BIN)/python benchmarks/retro.py

clean:
	rm -rf $(VENV) .jupyter workbook.db workbook.db-wal workbook.db-shm reports
