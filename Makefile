GO ?= go

.PHONY: test vet
test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
