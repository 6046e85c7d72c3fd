# Developer and CI entry points. Tools are pinned and installed into
# .tools/bin by the stack package, so `make` needs only Go.
GO    ?= go
TOOLS := .tools/bin

.PHONY: tools run build lint test fuzz clean-data

# Installs the Temporal CLI, Mailpit and workflowcheck when missing
# (the first Temporal CLI install takes about 3 minutes).
tools:
	$(GO) run ./devstack -tools-only

# Runs the whole product locally; Ctrl-C stops it, data stays in data/.
run:
	$(GO) run ./devstack

build:
	$(GO) build ./...
	$(GO) build -o bin/ ./worker ./starter ./standin ./codecserver

lint: tools
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/workflowcheck ./...

# Integration tests start the real dev server and Mailpit from .tools/bin,
# which lint has ensured.
test: lint
	$(GO) test -race -count=1 ./...

# Fuzz targets, each for FUZZTIME (CI: 10s each, about a minute in all).
# Their seed corpora also run in `make test`; a crashing input is written to
# the package's testdata/fuzz/<target>/ and stays there as a test.
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	./intake:FuzzSubmit \
	./workflows:FuzzValidate \
	./sales/webhook:FuzzDecode \
	./saleshooks:FuzzInterpret \
	./saleshooks:FuzzReceiver

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

clean-data:
	rm -rf data

# load is also a directory: without .PHONY make would call it up to date.
.PHONY: bench load

# Benchmarks of the hot code paths; figures only, nothing fails on a time.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Load test: starts its own stack on free ports, sends 200 requests at 16 then
# at 48 in flight beside the engine's floor, and checks every one ended right
# (go run ./load -h for the options).
load:
	$(GO) run ./load -start
