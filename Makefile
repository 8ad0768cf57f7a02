# ChatLab: `make` (or `make help`) lists every target.

SHELL       := /bin/bash
.DEFAULT_GOAL := help
GO          ?= go
BIN         := bin
HOST        ?= 127.0.0.1
PORT        ?=
NAME        ?=
FUZZTIME    ?= 30s

# Every stage with a server and a client, and the folder its cmd/ lives in.
STAGES      := v1
DIR_v1      := v1

# Every Go module of the workspace.
MODULES     := $(sort $(patsubst ./%/go.mod,%,$(shell find . -name go.mod -not -path './bin/*')))

.PHONY: help build test fmt-check vet modules-alone binaries-answer clean FORCE

help: ## list the targets
	@echo "ChatLab: chat-system lab stages, each runnable, testable and gradeable."
	@echo
	@echo "Run a stage (STAGE is one of: $(STAGES)):"
	@echo "  make server-STAGE [PORT=5555]              build and run the stage's server"
	@echo "  make client-STAGE [NAME=alice] [HOST=127.0.0.1] [PORT=5555]"
	@echo "                                             build and run a client (asks for NAME if not given)"
	@echo
	@echo "Build and check:"
	@echo "  make build                                 build every stage's binaries into $(BIN)/"
	@echo "  make test                                  gofmt check, go vet, binaries build and answer --help,"
	@echo "                                             go test -race in every module"
	@echo "  make test-STAGE                            the tests of one module: $(STAGES) shared"
	@echo "  make fuzz-STAGE [FUZZTIME=30s]             run each fuzz test of a module for FUZZTIME"
	@echo "  make clean                                 remove $(BIN)/ and test caches"

# ---- running a stage -------------------------------------------------------

stage-dir = $(or $(DIR_$(1)),$(error unknown stage '$(1)'; stages: $(STAGES)))

# One rule per binary: a pattern rule with two targets would claim that one
# recipe makes both.
$(BIN)/server-%: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $@ ./$(call stage-dir,$*)/cmd/server

$(BIN)/client-%: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $@ ./$(call stage-dir,$*)/cmd/client

server-%: $(BIN)/server-%
	./$(BIN)/server-$* $(PORT)

client-%: $(BIN)/client-%
	@name='$(NAME)'; \
	while [ -z "$$name" ]; do \
		read -r -p "Your name: " name || exit 1; \
	done; \
	exec ./$(BIN)/client-$* "$$name" $(HOST) $(PORT)

build: $(foreach s,$(STAGES),$(BIN)/server-$(s) $(BIN)/client-$(s))

# ---- checks ----------------------------------------------------------------

test: fmt-check vet modules-alone binaries-answer ## the whole suite, as CI runs it
	@set -e; for m in $(MODULES); do \
		echo "== go test -race $$m"; \
		(cd $$m && $(GO) test -race -count=1 ./...); \
	done

test-%: FORCE
	@[ -f $*/go.mod ] || { echo "no module '$*'; modules: $(MODULES)"; exit 2; }
	cd $* && $(GO) test -race -count=1 ./...

fmt-check:
	@out=$$(gofmt -l $(MODULES)); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done

# Every module also builds on its own, without go.work.
modules-alone:
	@set -e; for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) build ./...); done

# `make build` makes every stage's binaries, and each answers --help.
binaries-answer: build
	@set -e; for s in $(STAGES); do for b in server client; do \
		./$(BIN)/$$b-$$s --help >/dev/null || { echo "$(BIN)/$$b-$$s --help failed"; exit 1; }; \
	done; done

fuzz-%: FORCE
	@[ -f $*/go.mod ] || { echo "no module '$*'; modules: $(MODULES)"; exit 2; }
	./scripts/fuzz.sh $* $(FUZZTIME)

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache

FORCE:
