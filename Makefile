# absr-autopair: everything here needs only Go, except deploy and logs (Serverless Devs, `s`)
# and verify-syaml (node and npm).
#
# The run targets (demo, invoke, emulator) run bin/absr-autopair, built once, so the report
# alone is on stdout (make echoes nothing) and the command's own messages on stderr. make
# itself exits 2 whenever a command fails; for the command's exit status (0 no disk failed,
# 1 some disk failed, 2 bad flags, payload or configuration) run bin/absr-autopair directly.
GO        ?= go
EVENT     ?= events/actiontrail-tagresources.json
STATE     ?= events/demo-state.json
ADDR      ?= 127.0.0.1:9080
FUZZTIME  ?= 1m
BENCHTIME ?= 1x
# RACE: auto (the race detector when a C compiler is there), 1 (required, as in CI), 0 (off).
RACE      ?= auto
BIN       := bin/absr-autopair

export CGO_ENABLED ?= 0

.PHONY: build bin test vet demo invoke emulator deploy logs lint bench fuzz verify-syaml clean

## build: the static Linux binary Function Compute runs (dist/main)
build:
	@GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o dist/main .

## bin: the command for this machine (bin/absr-autopair); the run targets build it when needed
bin: $(BIN)

# Always asks go, which rebuilds only what changed; the first build says what takes the time.
$(BIN): FORCE
	@if [ ! -x $@ ]; then echo "Building $@ (the first build downloads and compiles the Alibaba Cloud SDK: 2-6 minutes on 2 cores; later builds take seconds)..." >&2; fi
	@$(GO) build -o $@ .

FORCE:

## test: vet and every test, with the race detector when a C compiler works (RACE=1 requires it)
# (A compiler that cannot build a one-line C program counts as none: macOS's cc shim without the
# command-line tools.)
test: vet
	@race=-race; \
	if [ "$(RACE)" = 0 ]; then race=; \
	elif ! printf 'int main(void){return 0;}\n' | $$(CGO_ENABLED=1 $(GO) env CC) -x c -o /dev/null - >/dev/null 2>&1; then \
		if [ "$(RACE)" = 1 ]; then echo "make test: RACE=1 but there is no C compiler ($$(CGO_ENABLED=1 $(GO) env CC)) for the race detector" >&2; exit 2; fi; \
		echo "make test: no C compiler ($$(CGO_ENABLED=1 $(GO) env CC)) found, so the tests run without the race detector (CI runs them with it)" >&2; race=; \
	fi; \
	if [ -n "$$race" ]; then CGO_ENABLED=1 $(GO) test -race -count=1 ./...; else $(GO) test -count=1 ./...; fi

vet:
	@$(GO) vet ./...

## demo: every sample event against one world of the built-in emulator
demo: $(BIN)
	@$(BIN) demo -events events -state $(STATE)

## invoke: one sample against the emulator (EVENT=..., STATE=...); STATE= uses your environment's account or endpoints
invoke: $(BIN)
	@$(BIN) invoke -event $(EVENT) $(if $(strip $(STATE)),-emulator $(STATE))

## emulator: serve the emulator on its own (STATE=..., ADDR=...) and print the environment to export
emulator: $(BIN)
	@$(BIN) emulator -state $(STATE) -addr $(ADDR)

## deploy: build and deploy with Serverless Devs (passes -y: no confirmation prompts)
deploy:
	s deploy -y

## logs: follow the deployed function's logs
logs:
	s logs --tail

## lint: formatting and vet
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:" >&2; echo "$$out" >&2; exit 1; fi

## bench: the sweep, cold start, decoding and single-event benchmarks (see docs/benchmarks.md)
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
	$(GO) test -run '^$$' -fuzz '^FuzzIDShapes$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/valid
	$(GO) test -run '^$$' -fuzz '^FuzzPlaceholders$$' -fuzztime $(FUZZTIME) -parallel 1 ./internal/pairing

## verify-syaml: s.yaml through the real Serverless Devs `s verify` and `s preview` (needs node and npm; about 10 s)
verify-syaml:
	@internal/deploytest/sdevs/verify-syaml

clean:
	rm -rf dist bin

## interop-node: the official TypeScript SDKs (npm) against the emulator; needs node and npm
.PHONY: interop-node
interop-node:
	GO="$(GO)" sh internal/emulator/interop/testdata/node/run.sh
