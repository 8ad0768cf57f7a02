# ChatLab: `make` (or `make help`) lists every target.

SHELL       := /bin/bash
.DEFAULT_GOAL := help
GO          ?= go
BIN         := bin
HOST        ?= 127.0.0.1
PORT        ?=
NAME        ?=
FLAGS       ?=
FUZZTIME    ?= 30s

# A program built with -race sleeps a second before it exits 0, to let
# late race reports out; the tests start hundreds of such processes (the
# test binaries themselves, and the servers and clients they run) and
# report races as they happen, so they need not wait.
export GORACE := $(strip atexit_sleep_ms=0 $(GORACE))

# TLS stages: CERT= and KEY= name a certificate and key; without them the
# servers, clients and certgen share one default place (shared/certs:
# ~/.config/chatlab/ on Linux), where the server makes a pair if missing.
CERT        ?=
KEY         ?=

# Every stage with a server and a client; the folder its cmd/ lives in (or
# the packages of its binaries); what make passes besides NAME/HOST/PORT.
STAGES      := v1 v2 v2-tls v3 v4
DIR_v1      := v1
DIR_v2      := v2
DIR_v3      := v3
DIR_v4      := v4
SERVER_PKG_v2-tls  := v2/cmd/server-tls
CLIENT_PKG_v2-tls  := v2/cmd/client-tls
SERVER_ARGS_v2-tls  = $(or $(PORT),5555) $(CERT) $(if $(CERT),$(KEY))
CLIENT_FLAGS_v2-tls = $(if $(CERT),--ca $(CERT))
SERVER_ARGS_v4      = $(or $(PORT),5555) $(CERT) $(if $(CERT),$(KEY))
CLIENT_FLAGS_v4     = $(if $(CERT),--ca $(CERT))

# ClassChat: task 2 is a client only; task 3's client is task 1's line client.
CLASSCHAT   := task1 task2 task3 task4 bonus1 bonus2 bonus3
SERVER_PKG_task1 := classchat/task1/cmd/server
CLIENT_PKG_task1 := classchat/task1/cmd/client
CLIENT_PKG_task2 := classchat/task2/cmd/client
SERVER_PKG_task3 := classchat/task3/cmd/server
CLIENT_PKG_task3 := classchat/task1/cmd/client
SERVER_PKG_task4 := classchat/task4/cmd/server
CLIENT_PKG_task4 := classchat/task4/cmd/client
SERVER_PKG_bonus1 := classchat/bonus1/cmd/server
CLIENT_PKG_bonus1 := classchat/bonus1/cmd/client
SERVER_PKG_bonus2 := classchat/bonus2/cmd/server
CLIENT_PKG_bonus2 := classchat/bonus2/cmd/client
SERVER_PKG_bonus3 := classchat/bonus3/cmd/server
CLIENT_PKG_bonus3 := classchat/bonus3/cmd/client
# bonus 3's offline queue: a database of this clone's own, per port.
SERVER_ARGS_bonus3 = -db $(BIN)/classchat-offline-$(or $(PORT),12345).db $(PORT)

SERVERS     := $(STAGES) task1 task3 task4 bonus1 bonus2 bonus3
CLIENTS     := $(STAGES) task1 task2 task3 task4 bonus1 bonus2 bonus3

# Every Go module of the workspace.
MODULES     := $(sort $(patsubst ./%/go.mod,%,$(shell find . -name go.mod -not -path './bin/*')))

.PHONY: help build certs test test-quick fmt-check vet modules-alone binaries-answer clean FORCE

help: ## list the targets
	@echo "ChatLab: chat-system lab stages, each runnable, testable and gradeable."
	@echo
	@echo "Run a stage (STAGE is one of: $(STAGES)):"
	@echo "  make server-STAGE [PORT=5555]              build and run the stage's server"
	@echo "  make client-STAGE [NAME=alice] [HOST=127.0.0.1] [PORT=5555]"
	@echo "                                             build and run a client (asks for NAME if not given)"
	@echo "  FLAGS='--trace'                            flags for the server or client (see its --help)"
	@echo
	@echo "ClassChat (default 127.0.0.1:12345; PORT=... to change):"
	@echo "  make server-task1 / client-task1           one client, one server, both type lines"
	@echo "  make client-task2                          the poll(2) client (against task 1 or task 3)"
	@echo "  make server-task3 / client-task3           many clients, a goroutine each"
	@echo "  make server-task4 / client-task4           usernames and routed direct messages (JSON)"
	@echo "  make server-bonus1 / client-bonus1         groups: /create /join /leave /groups, #group"
	@echo "  make server-bonus2 / client-bonus2         files up to 10 MiB: /sendfile"
	@echo "  make server-bonus3 / client-bonus3         offline messages, kept on disk across restarts"
	@echo
	@echo "The lab kit (reports and files go to $(LAB)/):"
	@echo "  make grade                                 grade every stage's own server with its rubric"
	@echo "  make grade-STAGE [ADDR=host:port] [SERVER='cmd'] [CLIENT=path] [CA=cert]"
	@echo "                                             grade one stage: its own server, one running at ADDR,"
	@echo "                                             or SERVER started with a free port appended"
	@echo "  make bandwidth                             one scripted session against v2, v2-tls, v3 and v4: the bytes"
	@echo "                                             on the wire beside the course's table (docs/bandwidth.md)"
	@echo "  make pcaps                                 the same session as captures for Wireshark, TLS keys beside"
	@echo "                                             them ($(LAB)/pcaps/; dissector: scripts/lab/wireshark/chatproto.lua)"
	@echo "  make bench [STAGES='v1 v3 v4'] [REPS=3] [SWEEP='32/64 128/256'] [SCENARIOS='fanout latency']"
	@echo "             [N=100] [P=4] [DURATION=3s] [C=10000]"
	@echo "                                             the load generator: fan-out at each text/window of the sweep,"
	@echo "                                             latency against load, idle clients, a slow consumer, stages"
	@echo "                                             side by side, each figure also a ratio to the lean server"
	@echo "                                             measured in the same run; the targets at the end (docs/performance.md);"
	@echo "                                             BENCH_FLAGS=-plan lists the runs and about how long they take"
	@echo
	@echo "Build and check:"
	@echo "  make build                                 build every stage's binaries into $(BIN)/"
	@echo "  make certs                                 make a new self-signed certificate for the TLS stages"
	@echo "                                             (in ~/.config/chatlab/, or CERT=file KEY=file; the TLS servers"
	@echo "                                             make one there if missing)"
	@echo "  make test                                  gofmt check, go vet, binaries build and answer --help,"
	@echo "                                             go test -race in every module, then a summary"
	@echo "  make test-quick                            every module's tests without -race, for the edit loop"
	@echo "  make test-MODULE                           the tests of one module: $(MODULE_NAMES)"
	@echo "  make fuzz-MODULE [FUZZTIME=30s]            run each fuzz test of a module for FUZZTIME"
	@echo "  make clean                                 remove $(BIN)/ and test caches"
	@echo
	@echo "A server or client run by make that exits non-zero makes make say"
	@echo "'make: *** [...] Error N' (N is the program's exit status) and exit 2:"
	@echo "to read the status itself, run the binary, e.g. ./$(BIN)/client-v2 alice; echo \$$?"

# ---- running a stage -------------------------------------------------------

stage-dir  = $(or $(DIR_$(1)),$(error unknown stage '$(1)'; stages: $(STAGES) $(CLASSCHAT)))
server-pkg = $(or $(SERVER_PKG_$(1)),$(call stage-dir,$(1))/cmd/server)
client-pkg = $(or $(CLIENT_PKG_$(1)),$(call stage-dir,$(1))/cmd/client)

# One rule per binary: a pattern rule with two targets would claim that one
# recipe makes both.
$(BIN)/server-%: FORCE
	@mkdir -p $(BIN)
	@$(GO) build -o $@ ./$(call server-pkg,$*)

$(BIN)/client-%: FORCE
	@mkdir -p $(BIN)
	@$(GO) build -o $@ ./$(call client-pkg,$*)

# The program replaces the recipe's shell (exec): its signals and exit
# status are its own. make itself still exits 2 after a failed recipe (that
# is make's rule), and says "Error N" with the program's status N.
server-%: $(BIN)/server-%
	@exec ./$(BIN)/server-$* $(FLAGS) $(or $(SERVER_ARGS_$*),$(PORT))

client-%: $(BIN)/client-%
	@name='$(NAME)'; \
	while [ -z "$$name" ]; do \
		read -r -p "Your name: " name || exit 1; \
	done; \
	exec ./$(BIN)/client-$* $(FLAGS) $(CLIENT_FLAGS_$*) "$$name" $(HOST) $(PORT)

# ClassChat clients take no name argument (task 4 asks for it, as the
# original did), and default to 127.0.0.1:12345.
$(addprefix client-,$(CLASSCHAT)): client-%: $(BIN)/client-%
	@exec ./$(BIN)/client-$* $(FLAGS) $(if $(PORT),$(HOST) $(PORT))

build: $(addprefix $(BIN)/server-,$(SERVERS)) $(addprefix $(BIN)/client-,$(CLIENTS))

# A new self-signed certificate and key for the TLS stages (restart the
# server to use them).
certs:
	$(GO) run ./shared/certs/cmd/certgen $(if $(CERT),-cert $(CERT)) $(if $(KEY),-key $(KEY))

# ---- the lab kit -------------------------------------------------------------
# Everything the lab kit writes goes under $(LAB).
LAB         := $(BIN)/lab
GRADE_STAGES := $(STAGES) $(CLASSCHAT)

# make grade-STAGE grades one stage; ADDR=host:port grades a server that
# runs elsewhere, SERVER='cmd args' starts another server program,
# CLIENT=path drives another client program, CA=file is the certificate a
# TLS server at ADDR must show.
grade-flags = $(if $(ADDR),--addr '$(ADDR)') $(if $(SERVER),--server '$(SERVER)') \
	$(if $(CLIENT),--client '$(CLIENT)') $(if $(CA),--ca '$(CA)')

$(BIN)/grade: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $@ ./scripts/lab/cmd/grade

grade: build $(BIN)/grade
	./$(BIN)/grade --bin $(BIN) --report $(LAB)/grade.md $(grade-flags)

$(addprefix grade-,$(GRADE_STAGES)): grade-%: build $(BIN)/grade
	./$(BIN)/grade --bin $(BIN) --report $(LAB)/grade-$*.md $(grade-flags) $*

# make bandwidth compares the bytes one scripted session costs in JSON,
# JSON+TLS, binary and binary+TLS ($(LAB)/bandwidth.md and .json); make
# pcaps writes the same session as $(LAB)/pcaps/STAGE.pcap (and
# STAGE.keys, the TLS secrets Wireshark needs to decrypt v2-tls and v4).
.PHONY: bandwidth pcaps
bandwidth:
	$(GO) run ./scripts/lab/cmd/bandwidth -out $(LAB)

pcaps:
	$(GO) run ./scripts/lab/cmd/pcaps -out $(LAB)/pcaps

# make bench runs the load generator (scripts/bench) against the stages'
# server binaries, each in a process of its own, on 127.0.0.1, and writes
# $(LAB)/bench/bench.json and latency.svg. STAGES= the stages (default
# v1 v3 v4; "lean", the generator's own fan-out loop with no chat logic,
# the reference every ratio is taken to, is added when missing),
# REPS= the repetitions (stage order rotated in each), SWEEP= the
# fan-out's text/window workloads, SCENARIOS= the scenarios, N= the
# room's members, P= its publishers, DURATION= each measured run, C= the
# idle clients of the scale scenario; BENCH_FLAGS= anything else
# ($(BIN)/bench -help).
BENCH_STAGES = $(if $(filter command line,$(origin STAGES)),$(STAGES),v1 v3 v4)
bench-flags  = $(if $(N),-n $(N)) $(if $(P),-p $(P)) $(if $(DURATION),-duration $(DURATION)) \
	$(if $(C),-clients $(C)) $(if $(REPS),-reps $(REPS)) $(if $(SWEEP),-sweep '$(SWEEP)') \
	$(if $(SCENARIOS),-scenarios '$(SCENARIOS)') $(BENCH_FLAGS)

.PHONY: bench
$(BIN)/bench: FORCE
	@mkdir -p $(BIN)
	$(GO) build -o $@ ./scripts/bench/cmd/bench

bench: $(BIN)/bench $(addprefix $(BIN)/server-,$(filter-out lean,$(BENCH_STAGES)))
	./$(BIN)/bench -bin $(BIN) -stages '$(BENCH_STAGES)' -out $(LAB)/bench/bench.json \
		-plot $(LAB)/bench/latency.svg $(bench-flags)

# ---- checks ----------------------------------------------------------------

# make test runs every check and every module's tests even when one
# fails, then sums up (scripts/gotest.go) and fails at the end if anything
# did. Allocation counts mean nothing under -race: the allocation tests
# run again without it.
# (The checks run through a variable, not $(MAKE) itself: `make -n test`
# then shows the recipe and runs nothing.)
CHECKS := fmt-check vet modules-alone binaries-answer
run-check = $(MAKE) --no-print-directory -s

test: $(BIN)/gotest ## the whole suite, as CI runs it
	@failed=; for c in $(CHECKS); do \
		echo "== $$c"; \
		$(run-check) $$c || failed="$$failed $$c"; \
	done; \
	GO=$(GO) ./$(BIN)/gotest -race -alloc -checks-failed "$$failed" $(MODULES)

# The module tests without -race and without the checks: a quicker loop
# while editing. make test is what counts.
test-quick: $(BIN)/gotest
	@GO=$(GO) ./$(BIN)/gotest $(MODULES)

$(BIN)/gotest: FORCE
	@mkdir -p $(BIN)
	@$(GO) build -o $@ scripts/gotest.go

# A module is named by its folder's last element: test-lab is scripts/lab.
module-dir = $(firstword $(filter $(1),$(MODULES)) $(filter %/$(1),$(MODULES)))
MODULE_NAMES := $(notdir $(MODULES))

test-%: FORCE
	@[ -n "$(call module-dir,$*)" ] || { echo "no module '$*'; modules: $(MODULE_NAMES)"; exit 2; }
	cd $(call module-dir,$*) && $(GO) test -race -count=1 ./...

fmt-check:
	@out=$$(gofmt -l $(MODULES) scripts/gotest.go); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done; $(GO) vet scripts/gotest.go

# Every module also builds on its own, without go.work, tests included.
modules-alone:
	@set -e; for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) vet ./...); done

# `make build` makes every stage's binaries, and each answers --help.
binaries-answer: build
	@set -e; for b in $(addprefix server-,$(SERVERS)) $(addprefix client-,$(CLIENTS)); do \
		./$(BIN)/$$b --help >/dev/null || { echo "$(BIN)/$$b --help failed"; exit 1; }; \
	done

fuzz-%: FORCE
	@[ -n "$(call module-dir,$*)" ] || { echo "no module '$*'; modules: $(MODULE_NAMES)"; exit 2; }
	./scripts/fuzz.sh $(call module-dir,$*) $(FUZZTIME)

clean:
	rm -rf $(BIN)
	$(GO) clean -testcache

FORCE:
