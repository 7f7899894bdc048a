# absr-autopair: everything here needs only Go, except deploy and logs (Serverless Devs, `s`).
GO        ?= go
EVENT     ?= events/actiontrail-tagresources.json
STATE     ?= events/demo-state.json
ADDR      ?= 127.0.0.1:9080
FUZZTIME  ?= 1m
BENCHTIME ?= 1x

export CGO_ENABLED ?= 0

.PHONY: build test vet demo invoke emulator deploy logs lint bench fuzz clean

## build: the static Linux binary Function Compute runs (dist/main)
build:
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o dist/main .

## test: vet and every test with the race detector
test: vet
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

## demo: every sample event against one world of the built-in emulator
demo:
	$(GO) run . demo -events events -state $(STATE)

## invoke: one sample against the emulator (EVENT=..., STATE=...); STATE= uses your real account
invoke:
ifeq ($(strip $(STATE)),)
	$(GO) run . invoke -event $(EVENT)
else
	$(GO) run . invoke -event $(EVENT) -emulator $(STATE)
endif

## emulator: serve the emulator on its own (STATE=..., ADDR=...)
emulator:
	$(GO) run . emulator -state $(STATE) -addr $(ADDR)

## deploy: build and deploy with Serverless Devs
deploy:
	s deploy -y

## logs: follow the deployed function's logs
logs:
	s logs --tail

## lint: formatting and vet
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## bench: the sweep, cold start, decoding and single-event benchmarks (see README, Benchmarks)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 30m ./internal/bench/

## fuzz: each fuzz target for FUZZTIME
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/intake
	$(GO) test -run '^$$' -fuzz '^FuzzFromEnv$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParseMapping$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParseRoutes$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzParseBool$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/eventpattern

clean:
	rm -rf dist

## interop-node: the official TypeScript SDKs (npm) against the emulator; needs node and npm
.PHONY: interop-node
interop-node:
	GO="$(GO)" sh internal/emulator/interop/testdata/node/run.sh
