# EdgeMIN: `make demo` runs EdgeMIN on the offline default, `make test` runs every test.
# Both create .venv and install EdgeMIN with its extras on first use (and again when settings.ini or setup.py change).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch. On a GPU machine use e.g. TORCH="torch" (PyPI's CUDA build) or install your own torch
# into .venv first and pass TORCH= (empty) so it is left alone.
TORCH ?= torch==2.13.0
# Real GLUE data in the classic glue_data layout; empty means "use the Hugging Face Hub".
GLUE_DIR ?= $(if $(wildcard ../shared/data/glue/SST-2),$(abspath ../shared/data/glue),)
STAMP := $(VENV)/.edgemin-installed

.PHONY: install demo test export-check docs nbtest pytest browser-deps bench bench-venv bench-readme clean
.DEFAULT_GOAL := help

help:
	@echo "make demo   run EdgeMIN on real SST-2 (local glue_data if present, else the Hugging Face Hub)"
	@echo "make test   export-sync check, docs build (runs every notebook: the notebook tests), pytest tests/ (browser tests included)"
	@echo "make docs   execute every notebook and render it to HTML in _docs/ (fails on any error)"
	@echo "make bench  run the benchmark suite in bench/ (about 14.5 hours on an idle 2-core CPU) and regenerate README's Results"

$(STAMP): settings.ini setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(TORCH),$(BIN)/python -m pip install --quiet "$(TORCH)")
	$(BIN)/python -m pip install --quiet -e ".[dev,offline]"
	touch $@

install: $(STAMP)

# The main job: the sst2-offline preset end to end (fine-tune the offline teacher on 10% of SST-2, distill, prune,
# quantize; every stage evaluated and profiled) into runs/sst2-offline, with report.md there. Resumable.
DEMO_ENV := $(if $(GLUE_DIR),EDGEMIN_GLUE_DIR="$(GLUE_DIR)")
demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/edgemin run --preset sst2-offline --out runs/sst2-offline

# Tests never touch the network: the Hub is switched off and GLUE comes from GLUE_DIR (real-data tests skip without it).
TEST_ENV := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(if $(GLUE_DIR),EDGEMIN_GLUE_DIR="$(GLUE_DIR)")

test: $(STAMP) browser-deps
	$(MAKE) --no-print-directory export-check docs pytest

export-check: $(STAMP)
	@echo "== export-sync check: edgemin/ must equal a fresh nbdev_export of nbs/"
	cd nbs && ../$(BIN)/nbdev_export
	@git diff --exit-code --stat -- edgemin/ && test -z "$$(git status --porcelain -- edgemin/)" \
	  || { echo "edgemin/ differs from a fresh export of nbs/ (run nbdev_export and commit):"; git status --porcelain -- edgemin/; exit 1; }

# The docs site without quarto: every notebook (tutorials included) executed afresh, as nbdev_test runs them, then
# built by MkDocs Material (mkdocs-jupyter) into _docs/: the sidebar of _quarto.yml with titles, search, a table of
# contents per page and show_doc's API reference. Any error in a cell fails the build, so this is also the notebook
# test of `make test`. (With quarto installed, `nbdev_docs` builds nbdev's own site instead.)
# Browse it with `python -m http.server -d _docs` (search fetches its index, which file:// pages cannot).
docs: $(STAMP)
	@echo "== docs: execute every notebook, then build the site into _docs/"
	$(TEST_ENV) $(BIN)/python tools/render_docs.py

# Browser tests drive Debian's Chromium with Playwright (its own browser download is not needed).
browser-deps:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { echo "== installing Chromium for the browser tests"; \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

# Notebook tests use tiny models, for which one thread is fastest; nbdev_test runs notebooks in parallel processes,
# and two threads each on two cores oversubscribe the CPU (measured: 71 s -> 16 s for 04_distill under load).
nbtest: $(STAMP)
	@echo "== nbdev_test over every notebook"
	$(TEST_ENV) OMP_NUM_THREADS=1 $(BIN)/nbdev_test --path nbs

pytest: $(STAMP)
	@echo "== pytest tests/"
	$(TEST_ENV) $(BIN)/pytest tests/

# The benchmark suite, one script after another (each resumes where it stopped and records the machine), then README's
# Results section regenerated from bench/results/*.json. About 14.5 hours here on an idle 2-core CPU: teacher 60 min
# (cached afterwards), distill 110, prune 50, quantize 30, compare about 410 (six settings: SST-2 100, CoLA 35,
# STS-B 81, RTE 69, MRPC 62, SST-2 with the 10% teacher 61), recipe 40, pareto 120, scaling 40, embed 45. Run it with nothing else on the CPU.
BENCH_ENV := TQDM_DISABLE=1 $(if $(GLUE_DIR),HF_HUB_OFFLINE=1 EDGEMIN_GLUE_DIR="$(GLUE_DIR)")
BENCH_SCRIPTS ?= gemm padding teacher distill prune quantize compare runtime torch_paths ops drift recipe pareto scaling embed
# compare.py's settings (the SST-2 headline first): `make bench BENCH_SCRIPTS=compare COMPARE_SETTINGS=sst2` for one
COMPARE_SETTINGS ?= sst2 sst2-teacher10 mrpc rte cola stsb
OPTIMUM_VENV := .venv-optimum
M2V_VENV := .venv-m2v
bench: $(STAMP) bench-venv
	for s in $(BENCH_SCRIPTS); do echo "== bench/$$s.py"; \
	  a=; if [ $$s = compare ]; then a="--settings $(COMPARE_SETTINGS)"; fi; \
	  $(BENCH_ENV) $(BIN)/python bench/$$s.py $$a || exit 1; done
	$(MAKE) --no-print-directory bench-readme

# Optimum (the baseline users would pick) pins transformers < 4.58; it gets its own environment.
bench-venv: $(OPTIMUM_VENV)/.installed $(M2V_VENV)/.installed
$(OPTIMUM_VENV)/.installed:
	test -x $(OPTIMUM_VENV)/bin/python || $(PYTHON) -m venv $(OPTIMUM_VENV)
	$(if $(TORCH),$(OPTIMUM_VENV)/bin/python -m pip install --quiet "$(TORCH)")
	$(OPTIMUM_VENV)/bin/python -m pip install --quiet optimum-onnx==0.1.0 onnxruntime "sentence-transformers>=4,<6"
	touch $@

# Model2Vec (bench/embed.py's static-embedding peer) distils and runs in its own environment too.
$(M2V_VENV)/.installed:
	test -x $(M2V_VENV)/bin/python || $(PYTHON) -m venv $(M2V_VENV)
	$(if $(TORCH),$(M2V_VENV)/bin/python -m pip install --quiet "$(TORCH)")
	$(M2V_VENV)/bin/python -m pip install --quiet "model2vec[distill,quantization]==0.10.0"
	touch $@

bench-readme: $(STAMP)
	$(BIN)/python bench/readme.py

clean:
	rm -rf _docs _proc .pytest_cache test-artifacts
