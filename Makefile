# brokerkit — every target works from a fresh clone with only Go installed.
GO        ?= go
FUZZTIME  ?= 3s
BENCHTIME ?= 1s
ARGS      ?=

.PHONY: test fmt vet race fuzz bench up lint build

## test: gofmt check, go vet, race-enabled tests, and a short pass of every fuzz target
test: fmt vet race fuzz

fmt:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

## fuzz: run every Fuzz target for FUZZTIME (make fuzz FUZZTIME=5m for a long run)
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$dir $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$dir >/dev/null || \
	      { echo "FAIL fuzz $$dir $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 1x $$dir; exit 1; }; \
	  done; \
	done

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

## up: run every fake on its well-known port (make up ARGS='--only kafka --user alice:secret')
up:
	$(GO) run ./cmd/brokerkit up $(ARGS)

build:
	$(GO) build -o bin/brokerkit ./cmd/brokerkit

lint:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
