# roma's build. `make demo` and `make test` do all the set-up on a fresh
# Debian machine as root (they install the Debian packages they need).

export PATH := /usr/local/go/bin:$(shell go env GOPATH 2>/dev/null || echo $(HOME)/go)/bin:$(PATH)
export GOFLAGS ?= -buildvcs=false

GO       ?= go
BIN      := bin
ROMA     := $(BIN)/roma
TESTFLAGS ?= -timeout 25m
# What the tests need beyond the demo, as deps.sh's COMMAND:PACKAGE:
# xmllint checks roma status's XML against its schema, and headless
# chromium renders the status page.
TEST_DEPS := xmllint:libxml2-utils chromium
# Packages with concurrency, also run under the race detector.
RACE_PKGS := ./remote/... ./cluster/... ./providers/alert/... ./romad/... ./status/... ./client/...

.PHONY: all build deps test test-race demo check bench lab-up lab-down clean fuzz

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

deps:
	@scripts/deps.sh

test: deps
	@scripts/deps.sh $(TEST_DEPS)
	$(GO) test $(TESTFLAGS) ./...
	$(GO) test -race $(TESTFLAGS) $(RACE_PKGS)

demo: deps build
	@scripts/demo.sh

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	staticcheck ./...

bench: deps
	@scripts/bench.sh

fuzz:
	$(GO) test ./hclspec -run '^$$' -fuzz FuzzLoad -fuzztime 60s
	$(GO) test ./providers/hash -run '^$$' -fuzz . -fuzztime 30s

lab-up: deps
	$(GO) run ./cmd/romalab up -dir .lab

lab-down:
	$(GO) run ./cmd/romalab down -dir .lab

clean:
	rm -rf $(BIN) examples/*/.run
