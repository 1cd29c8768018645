# Quickstart: `make book` builds the book, `make test` runs every test. Each creates
# .venv with python3 if it is missing and installs what it needs into it.
PYTHON ?= python3
# One BLAS thread per process: pages, kernels and grading workers run side by side on
# few cores, and competing BLAS thread pools made them several times slower.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := $(VENV)/.torch
WIDGETS := _static/widgets/NOTICE.txt

.PHONY: book test release check browser postgres sandbox fashion-mnist janeaustenr clean

book: $(STAMP) $(WIDGETS)
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(STAMP) $(TORCH) $(WIDGETS) browser postgres sandbox fashion-mnist janeaustenr
	$(BIN)/python -m pytest

release: $(STAMP)
	$(BIN)/nncourse release

check: $(STAMP)
	$(BIN)/nncourse check

# The student edition, dist/student/ (nncourse student). It reuses the book in _build/html
# when that is newer than every input of the book (pages, _config.yml, _toc.yml, intro.md,
# references.bib, _static/, nnlib/, requirements.txt) and otherwise builds the book first, as
# `make book` does.
.PHONY: student
student: $(STAMP) $(WIDGETS)
	$(BIN)/nncourse student

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

# The widget manager the book's pages load to draw their explorers without a kernel:
# @jupyter-widgets/html-manager's embed.js, fetched once from the npm registry and checked
# against a pinned SHA-512 (tools/widget_manager.py), served from _static/widgets/.
$(WIDGETS): tools/widget_manager.py
	$(PYTHON) tools/widget_manager.py

# PyTorch (CPU), for the cross-checks of tests/test_torch_*.py only: nnlib never imports it,
# so it is not in requirements.txt and `make book` does not install it. Measured on a 2-core
# machine with the wheel at hand: 18 s, +870 MB in .venv. PyPI's Linux x86_64 wheel is the
# CUDA build (several GB of nvidia-* packages); to get the CPU build there, run e.g.
#   make test TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# If the install fails, the cross-checks report themselves skipped and it is retried next time.
TORCH_VERSION  ?= 2.13.0
TORCH_PIP_ARGS ?=
$(TORCH): $(STAMP)
	@$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) torch==$(TORCH_VERSION) && touch $(TORCH) || \
	  echo "could not install torch==$(TORCH_VERSION): the PyTorch cross-checks will be skipped"

# The browser tests need Debian's chromium (the book) and chromium-driver (the formgrader,
# driven by Selenium). Install them when we can (root with apt-get, as on CI); otherwise
# the tests report themselves skipped and say why. Nothing downloads a browser or driver.
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and chromium-driver for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "chromium or chromedriver not found and cannot be installed here: the browser tests will be skipped"; fi; }

# The PostgreSQL gradebook test starts a throwaway server from Debian's postgresql, whose
# initdb/pg_ctl/postgres live in /usr/lib/postgresql/<major>/bin (not on PATH). Install it
# when we can (root with apt-get, as on CI); otherwise the test reports itself skipped.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql for the PostgreSQL gradebook test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	  else echo "PostgreSQL not found and cannot be installed here: the PostgreSQL gradebook test will be skipped"; fi; }

# Grading runs each submission in a bubblewrap sandbox (Debian's bubblewrap; setpriv is in
# util-linux). Install it when we can (root with apt-get, as on CI); without it autograde
# refuses to run and the grading tests fail, saying why.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap for the grading sandbox"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else echo "bubblewrap (bwrap) not found and cannot be installed here: grading needs it"; fi; }

# The test that regenerates the bundled Fashion-MNIST files byte for byte reads the IDX files
# of Debian's dataset-fashion-mnist (31 MB; nothing else uses them, nothing downloads them at
# run time). Install it when we can (root with apt-get, as on CI); otherwise that one test
# reports itself skipped.
fashion-mnist:
	@test -d /usr/share/datasets/fashion-mnist || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing dataset-fashion-mnist for the data regeneration test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null; \
	  else echo "dataset-fashion-mnist not found and cannot be installed here: its regeneration test will be skipped"; fi; }

# The test that regenerates the bundled Pride and Prejudice excerpt byte for byte reads
# the R data of Debian's r-cran-janeaustenr (1.6 MB). Installing the package would pull in
# R itself, so its files are only unpacked, into .venv/janeaustenr (nothing else uses them,
# nothing downloads them at run time). Without apt-get, that one test reports itself skipped.
JANEAUSTENR := $(VENV)/janeaustenr/usr/lib/R/site-library/janeaustenr
janeaustenr:
	@test -d /usr/lib/R/site-library/janeaustenr -o -d $(JANEAUSTENR) || { \
	  if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then \
	    echo "unpacking r-cran-janeaustenr into $(VENV)/janeaustenr for the data regeneration test"; \
	    tmp=$$(mktemp -d) && ( cd $$tmp && { apt-get download -qq r-cran-janeaustenr 2>/dev/null || \
	      { apt-get update -qq && apt-get download -qq r-cran-janeaustenr; }; } ) && \
	    mkdir -p $(VENV)/janeaustenr && dpkg-deb -x $$tmp/r-cran-janeaustenr_*.deb $(VENV)/janeaustenr; \
	    rm -rf $$tmp; \
	  else echo "r-cran-janeaustenr not found and cannot be unpacked here: its regeneration test will be skipped"; fi; }

clean:
	rm -rf _build .pytest_cache
