# glomers: build, test, load-test and benchmark. `make help` lists the targets.
CARGO ?= cargo
BENCH := target/release/glomers-bench

.PHONY: help build test flood flood-latency flood-compare bench clean-store

help:
	@echo "make build          build every binary (release)"
	@echo "make test           unit + integration tests, clippy -D warnings, rustfmt check"
	@echo "make flood          1,000,000 echo requests piped into the echo node, 5 runs (msgs/s, CPU, RSS)"
	@echo "make flood-latency  echo latency p50/p99/max at 10,000 requests/s offered"
	@echo "make flood-compare OTHER=/path/to/echo   the same flood, alternating with another echo binary"
	@echo "make bench          criterion benchmarks of the hot path (cargo bench)"

build:
	$(CARGO) build --release --workspace

test:
	$(CARGO) test --workspace --all-features
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) fmt --all -- --check

flood: build
	$(BENCH) flood --bin target/release/echo --count 1000000 --runs 5

flood-latency: build
	$(BENCH) flood --bin target/release/echo --rate 10000 --count 100000 --runs 3

flood-compare: build
	@test -n "$(OTHER)" || { echo "usage: make flood-compare OTHER=/path/to/other/echo"; exit 254; }
	$(BENCH) flood --bin target/release/echo --bin $(OTHER) --count 1000000 --runs 5

bench:
	$(CARGO) bench --bench codec --bench pipeline
