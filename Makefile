# sfn developer tasks. `make` alone lists them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Go lives in /usr/local/go/bin on our machines; use it when go is not on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := $(PATH):/usr/local/go/bin
endif

FUZZTIME ?= 10s
SCALE_EXECUTIONS ?= 1000000
SCALE_RATE ?= 2000
SCALE_LEAD ?= 90s
# The conformance suite is not part of this repository: the developers keep
# it in ../shared/conformance, next to the checkout. Without it (a user's
# clone) `make conformance` says so and does nothing; under CI=true it fails.
CONFORMANCE_DIR ?= ../shared/conformance

.PHONY: help run build test test-faults test-abuse bench bench-jsonata bench-scale bench-http fuzz conformance lint

help: ## list the targets
	@echo "sfn make targets:"
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "} {printf "  %-12s %s\n", $$1, $$2}'

run: ## start sfn serve with the workflows in definitions/
	go run ./cmd/sfn serve --load definitions

build: ## build bin/sfn
	go build -o bin/sfn ./cmd/sfn

test: ## go vet, then all tests with the race detector, the fault tests last
	go vet ./...
	go test -race -count=1 -skip 'Fault|Abuse' ./...
	SFN_TEST_STORE=redis go test -race -count=1 ./httpapi/
	$(MAKE) test-faults
	$(MAKE) test-abuse

# The fault tests kill and pause real processes (sfn serve, redis-server);
# they are the tests named *Fault*, run on their own so that their timing
# does not compete with the rest of the suite.
test-faults: ## fault tests: injected store faults, kill -9 of sfn serve, Redis paused
	go test -race -count=1 -run 'Fault' -timeout 10m ./interpreter ./cmd/sfn ./cmd/sfnscale

# The abuse tests are the denial-of-service probes of docs/security.md in
# bounded form (thousands of slow connections, invented methods, a Map over
# 120,000 items), on loopback against a built sfn serve. They run without
# the race detector, so that their latency bounds hold on two cores.
test-abuse: ## abuse tests: slow clients, label cardinality, oversized work against sfn serve
	go test -count=1 -run 'Abuse' -timeout 5m -v ./cmd/sfn 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|abuse_test.go'

bench: ## run the Go benchmarks
	go test -run '^$$' -bench . -benchmem ./...

bench-scale: build ## the scale figures of BENCHMARKS.md: 1,000,000 executions parked on a private Redis, a cold start, kill -9 of one of two nodes (about 15 minutes)
	go run ./cmd/sfnscale --sfn bin/sfn --executions $(SCALE_EXECUTIONS) --rate $(SCALE_RATE) --lead $(SCALE_LEAD)

# jsonata-js, the reference, is installed from the npm registry under
# .cache/ (ignored by git) the first time.
JSONATA_JS := .cache/jsonata-js/node_modules/jsonata
bench-jsonata: ## sfn's JSONata engine against jsonata-js 2.0.6 on node, over the JSONata suite's expressions (needs node and npm)
	@test -f $(JSONATA_JS)/package.json || npm install --no-save --prefix .cache/jsonata-js jsonata@2.0.6
	go run ./cmd/jsonatabench --suite $(CONFORMANCE_DIR)/../jsonata-suite --jsonata-js $(JSONATA_JS)

bench-http: ## the HTTP load matrix of BENCHMARKS.md (sfnload, wrk if installed) against sfn serve, memory and Redis
	cmd/sfnload/matrix.sh

# Fuzz targets are discovered, not listed here: `go test -list` prints each
# package's Fuzz functions before its "ok <package>" line. `-fuzz` accepts one
# target at a time, so each runs on its own for FUZZTIME.
fuzz: ## run every fuzz target for FUZZTIME (default 10s) each
	@list=$$(mktemp); trap 'rm -f "$$list"' EXIT; \
	if ! go test -list '^Fuzz' ./... >"$$list" 2>&1; then cat "$$list"; exit 1; fi; \
	targets=$$(awk '/^Fuzz[A-Za-z0-9_]*$$/ {names = names " " $$1; next} \
		/^ok[ \t]/ {n = split(names, a, " "); for (i = 1; i <= n; i++) print $$2 " " a[i]; names = ""}' "$$list"); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	while read -r pkg target; do \
		echo "fuzz: $$pkg $$target for $(FUZZTIME)"; \
		go test -run "^$$target\$$" -fuzz "^$$target\$$" -fuzztime=$(FUZZTIME) "$$pkg"; \
	done <<<"$$targets"

# The server runs in the background on its own port; the trap stops it
# however the checks end, and the exit status says whether both passed.
conformance: build ## run the conformance suite (in ../shared/conformance, outside this repository) against bin/sfn, on memory and on Redis
	CONFORMANCE_DIR=$(CONFORMANCE_DIR) .ci/conformance memory
	CONFORMANCE_DIR=$(CONFORMANCE_DIR) .ci/conformance redis
	@# The JSONata 2.0.6 language suite through `sfn jsonata` (store-independent).
	@if [ -f $(CONFORMANCE_DIR)/jsonata_suite.py ]; then \
		echo "conformance: jsonata_suite.py"; python3 $(CONFORMANCE_DIR)/jsonata_suite.py --sfn bin/sfn | tail -n 20; \
	elif [ "$${CI:-}" = true ]; then echo "conformance: FAILED: $(CONFORMANCE_DIR)/jsonata_suite.py missing" >&2; exit 1; \
	else echo "conformance: *** JSONata suite NOT RUN: $(CONFORMANCE_DIR)/jsonata_suite.py missing ***" >&2; fi

lint: ## gofmt must list no files; go vet
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi
	go vet ./...
