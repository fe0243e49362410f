# The two commands that matter: `make dev` runs the whole stack locally,
# `make test` runs every test. Both install what they need first (`make
# deps`): Go modules from the module proxy, the Temporal CLI built from
# source into bin/, and the L1 tooling (anvil, contracts) from npm into
# node_modules/.

GO          ?= go
NPM         ?= npm
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
FUZZTIME    ?= 30s
BIN         := bin/sequencer

# The Temporal CLI (its dev server runs Temporal for tests and `make dev`).
# Newer releases carry replace directives that make `go install` fail.
TEMPORAL_CLI     := github.com/temporalio/cli/cmd/temporal
TEMPORAL_VERSION := v1.5.1
TEMPORAL         := $(CURDIR)/bin/temporal

# promtool checks and unit-tests the alert rules (deploy/prometheus). It is
# taken from Debian's prometheus package into bin/: extracted, not installed
# (no Prometheus service starts, no user is created); apt-get update runs
# first only when apt's lists do not have the package yet.
PROMTOOL := $(CURDIR)/bin/promtool

# VERSION, when set, is the version `sequencer version` and
# sequencer_build_info report (release builds); the commit is stamped by Go.
VERSION ?=
GO_LDFLAGS := $(if $(VERSION),-X github.com/cartesi/sequencer/internal/buildinfo.version=$(VERSION))

# npm writes node_modules/.package-lock.json when it installs: newer than
# package-lock.json means node_modules matches the lock file.
NPM_STAMP   := node_modules/.package-lock.json
TS_CLIENT_STAMP := examples/ts-client/node_modules/.package-lock.json

.PHONY: all build deps deps-temporal deps-promtool test unit lint fmt fuzz dev dev-reset clean record-histories

all: build

build:
	$(GO) build -buildvcs=auto -ldflags '$(GO_LDFLAGS)' -o $(BIN) ./cmd/sequencer

## deps: install what tests and dev need, only when missing or outdated
deps: $(NPM_STAMP) $(TS_CLIENT_STAMP) deps-temporal deps-promtool

$(NPM_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts
	@touch $@

# The TypeScript client kit (examples/ts-client) has its own node_modules;
# internal/e2e's TestTypeScriptClientKit runs its test.
$(TS_CLIENT_STAMP): examples/ts-client/package.json examples/ts-client/package-lock.json
	cd examples/ts-client && $(NPM) ci --ignore-scripts
	@touch $@

# Reinstalled when bin/temporal is missing or was built from another version
# (`go version -m` reads the module version the binary was built from).
deps-temporal:
	@if ! $(GO) version -m $(TEMPORAL) 2>/dev/null | grep -Eq '^[[:space:]]+mod[[:space:]]+github.com/temporalio/cli[[:space:]]+$(TEMPORAL_VERSION)[[:space:]]'; then \
	  echo "installing the Temporal CLI $(TEMPORAL_VERSION) into bin/ (builds from source, about two minutes)"; \
	  GOBIN=$(CURDIR)/bin $(GO) install $(TEMPORAL_CLI)@$(TEMPORAL_VERSION) || exit 1; \
	fi

deps-promtool:
	@if [ ! -x $(PROMTOOL) ]; then \
	  echo "installing promtool into bin/ from Debian's prometheus package"; \
	  tmp=$$(mktemp -d) && chmod 755 $$tmp && cd $$tmp && \
	  { apt-get download prometheus 2>/dev/null || { apt-get update -qq && apt-get download prometheus; }; } && \
	  dpkg-deb -x prometheus_*.deb x && install -m 755 x/usr/bin/promtool $(PROMTOOL); \
	  rc=$$?; rm -rf $$tmp; exit $$rc; \
	fi

## test: every check and every test (what CI runs)
test: deps
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit

unit:
	$(GO) test -count=1 ./...

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./workflows/...
	$(PROMTOOL) check config deploy/prometheus/prometheus.yml
	$(PROMTOOL) check rules deploy/prometheus/alerts.yml
	$(PROMTOOL) test rules deploy/prometheus/alerts_test.yml

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

## dev: the whole stack locally, state in .devstack/ (see README and docs/operations.md);
## DEV_ENV='SEQ_NAME=value …' overrides serve's and worker's dev settings (checked before anything starts)
dev: deps build
	$(BIN) dev --env "$$DEV_ENV"

## record-histories: re-record workflows/testdata/*.json from a real Temporal dev server,
## Postgres and anvil running the real worker (docs/worker.md, versioning policy); minutes
record-histories: deps
	$(GO) vet -tags record ./internal/e2e
	$(GO) test -tags record -count=1 -timeout 20m -run '^TestRecordHistories$$' -v ./internal/e2e

## dev-reset: forget the dev stack's chain, database and Temporal history
dev-reset:
	rm -rf .devstack

clean:
	rm -f $(BIN)
