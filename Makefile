# temporal-ecs: see README.md. `make demo` and `make test` are the two set-up commands.

GO        ?= go
TOOL      := $(GO) tool -modfile=tools/go.mod
PKGS      := ./...
BENCHTIME ?= 1x

.PHONY: all build test vet staticcheck unit bench demo tools clean

all: build

## build: compile every package and the two binaries into bin/
build:
	$(GO) build ./...
	$(GO) build -o bin/ ./worker ./starter

## tools: build the pinned dev tools (Temporal CLI, staticcheck) into the Go build cache
tools:
	$(TOOL) temporal --version
	$(TOOL) staticcheck -version

## vet: go vet over every package
vet:
	$(GO) vet $(PKGS)

## staticcheck: staticcheck over every package
staticcheck:
	$(TOOL) staticcheck $(PKGS)

## test: vet, staticcheck and every test (unit, integration, end-to-end) with the race detector
test: vet staticcheck
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## unit: the tests without the end-to-end package (no Temporal dev server)
unit:
	$(GO) test -race -count=1 $$($(GO) list $(PKGS) | grep -v /e2e)

## bench: the benchmarks whose figures the README quotes
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 30m ./internal/ecslocal/... ./activities/...

## demo: Temporal dev server + worker with the local ECS endpoint + `starter run` on a small task
demo:
	@GO="$(GO)" bash scripts/demo.sh

clean:
	rm -rf bin
