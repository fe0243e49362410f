# The two commands that matter: `make dev` runs the whole stack locally,
# `make test` runs every test. Everything the project needs is installed by
# these targets from the Go module proxy (and, once the L1 side lands, npm).

GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
FUZZTIME    ?= 30s
BIN         := bin/sequencer

.PHONY: all build test unit lint fmt fuzz dev clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sequencer

## test: every check and every test (what CI runs)
test: lint unit

unit:
	$(GO) test -count=1 ./...

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...

fmt:
	gofmt -w $$(git ls-files '*.go')

## fuzz: run every fuzz target for FUZZTIME each (the seed corpora run in `make test`)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

## dev: the whole stack locally (see README)
dev:
	$(GO) run ./cmd/sequencer dev

clean:
	rm -rf bin
