# brokerkit — every target works from a fresh clone with only Go installed.
GO        ?= go
FUZZTIME  ?= 3s
BENCHTIME ?= 1s
FUZZJOBS  ?= 2
ARGS      ?=

.PHONY: test fmt vet race fuzz bench up lint build image matrix matrix-check soak browser

## test: gofmt check, go vet, race-enabled tests, and a short pass of every fuzz target
test: fmt vet race fuzz

fmt:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

## fuzz: run every Fuzz target for FUZZTIME, FUZZJOBS at a time (make fuzz
## FUZZTIME=5m for a long run). Every target runs; a failing one prints its
## output and the crasher file under testdata/fuzz/, and the make fails at the end.
fuzz:
	@GO=$(GO) bash .ci/fuzz.sh $(FUZZTIME) $(FUZZJOBS)

## bench: every benchmark (BENCHTIME=3x or 5s to change how long). Where
## Debian's mosquitto is installed, a real Mosquitto runs beside the fake so
## the MQTT throughput benchmarks print both, same client, in one run.
bench:
	@pid=""; \
	if command -v mosquitto >/dev/null 2>&1; then \
	  port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	  pid=$$(bash .ci/mqtt/start-mosquitto.sh $$port) && export BROKERKIT_BENCH_MQTT_ADDR=127.0.0.1:$$port; \
	fi; \
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem ./...; rc=$$?; \
	[ -n "$$pid" ] && kill $$pid; exit $$rc

## up: run every fake on its well-known port (make up ARGS='--only kafka --user alice:secret').
## It builds bin/brokerkit first (a cold cache takes a minute or two) and
## runs that binary, which exits 0 on Ctrl-C.
up: build
	@exec ./bin/brokerkit up $(ARGS)

build:
	@echo "building bin/brokerkit ..."
	@$(GO) build -o bin/brokerkit ./cmd/brokerkit

## image: the dev-stack image brokerkit:local (a static binary FROM scratch; no base image to pull)
image:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/brokerkit-linux ./cmd/brokerkit
	docker build -t brokerkit:local .

## matrix: rewrite the README's conformance tables from a run of the suite on the fakes
matrix:
	@mkdir -p bin; $(GO) test -count=1 -json ./conformance/ > bin/conformance.json || true
	$(GO) run ./internal/matrix -in bin/conformance.json README.md

## matrix-check: fail when the README's conformance tables differ from a fresh run
matrix-check:
	@mkdir -p bin; $(GO) test -count=1 -json ./conformance/ > bin/conformance.json || true
	$(GO) run ./internal/matrix -in bin/conformance.json -check README.md

## browser: the console's tests in headless Chromium (apt-get install chromium)
browser:
	BROKERKIT_BROWSER=1 $(GO) test -count=1 -run '^TestBrowser' -v ./console/

## soak: the hostile-client set against brokerkit up, SOAK times (also part of make test once)
SOAK ?= 5
soak:
	$(GO) test -count=$(SOAK) -run 'TestUpSurvivesHostileClients' -v ./cmd/brokerkit/

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
