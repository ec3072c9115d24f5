# relay's developer commands. `make help` lists them.
#
# Two bootstraps per function: the deployable one for Lambda (linux/arm64 by default) in
# .build/lambda/<name>, the folder the CDK stack packages as the function's asset, and one for
# this machine in .build/local/<name>, which the local runtime runs. Neither overwrites the
# other.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

FUNCTIONS := enqueue process notified
ARCH ?= arm64
HOST_OS := $(shell go env GOOS)
HOST_ARCH := $(shell go env GOARCH)
GO_BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'

# The CDK CLI: pinned in package.json, no telemetry, no notices, state kept in the repository.
# With no credentials, synth looks for a default account; AWS_EC2_METADATA_DISABLED keeps
# that look-up off the instance metadata service.
export CDK_HOME ?= $(CURDIR)/.cdk
export AWS_EC2_METADATA_DISABLED ?= true
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CDK := npx --no-install cdk
CDK_FLAGS := --no-notices

# `make local` and `make invoke` settings.
JOBS ?= events/sample-jobs.ndjson
# A 1 s retry backoff base (the stack's is 10 s) lets the sample's always-failing job reach
# the DLQ through redrive in about a minute.
LOCAL_FLAGS ?= -c retryBackoff=1
FN ?= process
EVENT ?= events/sqs-batch.json
# Fuzzing budget per target, as a count of executions: a duration (-fuzztime 10s) races the
# fuzz coordinator's deadline in Go 1.26 and can fail with a bare "context deadline exceeded"
# on a loaded machine (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 100000x
FUZZ_TARGETS := \
	./internal/job:FuzzParseJob \
	./internal/localcloud/sqs:FuzzDecodeRequest \
	./internal/localcloud/sns:FuzzDecodeQuery \
	./internal/localcloud/sns:FuzzFilterPolicy

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: $(addprefix build-,$(FUNCTIONS)) ## Build the deployable bootstraps (ARCH=arm64 or amd64) into .build/lambda.

build-%:
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) go build $(GO_BUILD_FLAGS) -o .build/lambda/$*/bootstrap ./functions/$*

.PHONY: build-local
build-local: $(addprefix build-local-,$(FUNCTIONS)) bin/relay ## Build this machine's bootstraps into .build/local, and bin/relay.

build-local-%:
	CGO_ENABLED=0 GOOS=$(HOST_OS) GOARCH=$(HOST_ARCH) go build $(GO_BUILD_FLAGS) -o .build/local/$*/bootstrap ./functions/$*

.PHONY: bin/relay
bin/relay:
	go build -o bin/relay ./cmd/relay

# go.mod's `ignore ./node_modules` keeps `./...` away from the Go templates that the CDK CLI
# ships in node_modules.
.PHONY: deps
deps: ## Install the pinned npm packages (the CDK CLI and the AWS SDK for JavaScript).
	npm ci --no-audit --no-fund

node_modules:
	$(MAKE) deps

.PHONY: test
test: node_modules build ## Run every test: unit, local cloud conformance (Go and JS SDKs), CDK, end to end, short fuzzing.
	go test -race -timeout 20m $$(go list ./... | grep -v '/infra$$')
	go test -timeout 20m ./infra/...
	@for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

.PHONY: lint
lint: ## gofmt, go vet, staticcheck, and a go.mod tidiness check.
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	@backup=$$(mktemp -d); cp go.mod go.sum "$$backup"/; go mod tidy; \
		if ! cmp -s go.mod "$$backup"/go.mod || ! cmp -s go.sum "$$backup"/go.sum; then \
			cp "$$backup"/go.mod "$$backup"/go.sum .; rm -rf "$$backup"; \
			echo "go.mod or go.sum is not tidy: run go mod tidy and commit the result"; exit 1; fi; \
		rm -rf "$$backup"

.PHONY: synth
synth: node_modules build ## Synthesize the CloudFormation template into cdk.out (no AWS credentials needed).
	$(CDK) synth $(CDK_FLAGS) --quiet

.PHONY: diff
diff: node_modules build ## Compare the stack with what is deployed (needs AWS credentials).
	$(CDK) diff $(CDK_FLAGS)

.PHONY: deploy
deploy: node_modules build ## Deploy the stack (needs AWS credentials and a bootstrapped account).
	$(CDK) deploy $(CDK_FLAGS)

.PHONY: local
local: build-local ## Run the whole pipeline on the local cloud with the sample jobs (JOBS=file).
	bin/relay local --build-dir .build/local --jobs $(JOBS) --until-drained $(LOCAL_FLAGS)

.PHONY: cloud
cloud: bin/relay ## Serve the local SQS and SNS on 127.0.0.1:4566 until interrupted.
	bin/relay cloud

.PHONY: invoke
invoke: build-local ## Invoke one function once: make invoke FN=process EVENT=events/sqs-batch.json.
	bin/relay invoke $(FN) --event $(EVENT) --build-dir .build/local

.PHONY: bench
bench: ## Run the benchmarks; BENCHMARKS.md records their figures.
	go test -run '^$$' -bench . -benchtime 3s ./internal/localcloud/sqs/
	go test -run '^$$' -bench . -benchtime 2s ./internal/localcloud/sns/ ./internal/localcloud/lambda/ ./internal/job/
	go test -run '^$$' -bench . -benchtime 1x ./internal/localpipeline/

.PHONY: clean
clean: ## Remove build output, cdk.out and test caches.
	rm -rf .build bin cdk.out
	go clean -testcache
