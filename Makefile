# Entry points for people and CI. Everything installs or builds what it needs.
#   make demo    bundled real tweets -> default plugin chain -> target/demo/
#   make test    the whole test suite
#   make examples  the example filter in Rust, C, Python and JavaScript

CARGO ?= cargo
WASM_TARGET := wasm32-wasip2
# Plugins the host tests and the demo load, built as components.
PLUGINS := flatten-retweets prune-fields identity chaos add-fields
# Plugins that break the interface on purpose, for host/tests/hostile*.rs.
PLUGINS += hostile-wrong-count hostile-missing-export hostile-wrong-version

.PHONY: demo test plugins examples wasm-target broker test-tools lint

demo: plugins
	$(CARGO) run --release -p sluice -- run

test: plugins examples broker test-tools
	$(CARGO) test --release --workspace --no-fail-fast
	tests/es-server/python/run.sh

plugins: wasm-target
	$(CARGO) build --profile wasm --target $(WASM_TARGET) $(addprefix -p ,$(PLUGINS))

# target/examples/<language>.wasm, which host/tests/languages.rs compares;
# installs the pinned tool chains first (a second run installs nothing).
examples:
	plugins/examples/build.sh

# The Kafka-protocol broker (nisshi) the Kafka tests start; quick when installed.
broker:
	.ci/install-broker.sh

# The stock zstd tool that host/tests/outputs*.rs reads the archive with
# (gzip is part of every Debian system).
test-tools:
	@command -v zstd >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd >/dev/null; }

wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
