# glomers: build, test, load-test and benchmark. `make help` lists the targets.
CARGO ?= cargo
CHROMIUM ?= /usr/bin/chromium
BENCH := target/release/glomers-bench
# MAELSTROM=/path/to/maelstrom runs the challenge targets on the real Maelstrom instead.
ON := $(if $(MAELSTROM),--maelstrom $(MAELSTROM))

.PHONY: help build test challenges echo unique-ids broadcast-single broadcast-multi \
	broadcast-partition efficient-broadcast g-counter kafka kafka-compare txn lin-kv g-set pn-counter txn-list-append route flood flood-latency \
	flood-compare bench screenshots browser-test soak soak-lin-kv soak-guide sim-speed package lin-compare txn-speed

help:
	@echo "make challenges     run every Gossip Glomers challenge, then the Maelstrom guide rows, and print the table"
	@echo "make echo | unique-ids | broadcast-single | broadcast-multi | broadcast-partition"
	@echo "     efficient-broadcast | g-counter | kafka | txn   one challenge (or 3d+3e, 5a-5c, 6a-6c) with its exact flags"
	@echo "make lin-kv         Maelstrom's guide, Raft chapter: 3 nodes, 10n workers, 60 s at rate 100, partitions every 3 s"
	@echo "make g-set | pn-counter   Maelstrom's guide workloads: 5 nodes, 20 s at rate 100, with partitions"
	@echo "make txn-list-append   the guide's Datomic chapter: 2 nodes, 10 s at rate 100; again with partitions"
	@echo "make kafka-compare  5b's flags, 3 runs each of our kafka design and the simple lin-kv one"
	@echo "make route          workbench routing speed: 5 pingpong control nodes for 5 s (msgs/s routed)"
	@echo "make build          build every binary (release)"
	@echo "make test           unit + integration tests, clippy -D warnings, rustfmt and rustdoc checks"
	@echo "make package        cargo publish --workspace --dry-run: package and build every publishable crate (needs crates.io)"
	@echo "make flood          1,000,000 echo requests piped into the echo node, 5 runs (msgs/s, CPU, RSS)"
	@echo "make flood-latency  echo latency p50/p99/max and CPU by thread at 10,000 requests/s [OTHER=echo]"
	@echo "make flood-compare OTHER=/path/to/echo   the same flood, alternating with another echo binary"
	@echo "make bench          criterion benchmarks of the hot path (cargo bench)"
	@echo "make screenshots    reports, message diagrams, timeline and anomaly pictures shot by headless Chromium"
	@echo "make browser-test   the report, timeline and message diagram checked in headless Chromium"
	@echo "make soak SEEDS=N   every row's flags (challenges, then the guide's) in the simulator over seeds 1..N (default 1000)"
	@echo "make soak-lin-kv SEEDS=N   lin-kv's Raft node over seeds 1..N with partitions, then with every extra fault"
	@echo "make soak-guide SEEDS=N    g-set, pn-counter, txn-list-append over seeds 1..N with partitions and every extra fault"
	@echo "make sim-speed      simulator speed: one 3d run, and 1,000 seeds of 3c with partitions"
	@echo "make lin-compare PORCUPINE=/path/to/porcupine   lin-kv checker vs Porcupine on the same histories"
	@echo "make txn-speed      txn checkers' wall and CPU time (median of 3) on generated 10k, 100k and 1M-transaction histories"

build:
	$(CARGO) build --release --workspace

test:
	@test -x "$(CHROMIUM)" || echo "browser test skipped: no Chromium at $(CHROMIUM) (apt-get install -y chromium, or CHROMIUM=path)"
	$(CARGO) test --workspace --all-features
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings
	$(CARGO) fmt --all -- --check
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --all-features --no-deps --quiet

# Packages every publishable crate (harness, engine, nodes, controls, bench) in dependency order
# and builds each from its .crate against the others, as crates.io would: the dry run uploads
# nothing. It reads the crates.io index, so it is not part of `make test`; it also wants a clean
# work tree (PACKAGE_FLAGS=--allow-dirty to try uncommitted changes).
PACKAGE_FLAGS ?=
package:
	$(CARGO) publish --workspace --dry-run $(PACKAGE_FLAGS)

challenges: build
	$(BENCH) challenges $(ON)

echo: build
	$(BENCH) challenge 1 $(ON)

unique-ids: build
	$(BENCH) challenge 2 $(ON)

broadcast-single: build
	$(BENCH) challenge 3a $(ON)

broadcast-multi: build
	$(BENCH) challenge 3b $(ON)

broadcast-partition: build
	$(BENCH) challenge 3c $(ON)

efficient-broadcast: build
	$(BENCH) challenge 3d $(ON)
	$(BENCH) challenge 3e $(ON)

g-counter: build
	$(BENCH) challenge 4 $(ON)

kafka: build
	$(BENCH) challenge 5a $(ON)
	$(BENCH) challenge 5b $(ON)
	$(BENCH) challenge 5c $(ON)

txn: build
	$(BENCH) challenge 6a $(ON)
	$(BENCH) challenge 6b $(ON)
	$(BENCH) challenge 6c $(ON)

# Maelstrom's guide workloads: the rows after the challenges in the table, with the guide's flags.
lin-kv: build
	$(BENCH) challenge lin-kv $(ON)

g-set: build
	$(BENCH) challenge g-set $(ON)

pn-counter: build
	$(BENCH) challenge pn-counter $(ON)

txn-list-append: build
	$(BENCH) challenge txn-list-append $(ON)

KAFKA_5B := -w kafka --bin target/release/kafka --node-count 2 --concurrency 2n --time-limit 20 --rate 1000

kafka-compare: build
	@for design in owner lin-kv; do for run in 1 2 3; do \
	  echo "== design $$design, run $$run"; \
	  GLOMERS_KAFKA_DESIGN=$$design $(BENCH) test $(KAFKA_5B) 2>/dev/null \
	    | grep -E 'verdict|msgs-per-op|latency of ok'; \
	done; done

route: build
	$(BENCH) test -w echo --bin target/release/glomers-control --node-count 5 --time-limit 5 --rate 0 -- pingpong

flood: build
	$(BENCH) flood --bin target/release/echo --count 1000000 --runs 5

flood-latency: build
	$(BENCH) flood --threads --bin target/release/echo $(if $(OTHER),--bin $(OTHER)) --rate 10000 --count 100000 --runs 3

flood-compare: build
	@test -n "$(OTHER)" || { echo "usage: make flood-compare OTHER=/path/to/other/echo"; exit 254; }
	$(BENCH) flood --bin target/release/echo --bin $(OTHER) --count 1000000 --runs 5

bench:
	$(CARGO) bench --bench codec --bench pipeline

# The report, timeline and message diagram in headless Chromium (bench/tests/browser.rs): clicks an
# operation in the diagram and checks the highlighted messages against the journal's causes.
# `make test` runs it too when Chromium is present; without it the test says so and passes.
browser-test:
	@test -x "$(CHROMIUM)" || echo "browser test skipped: no Chromium at $(CHROMIUM) (apt-get install -y chromium, or CHROMIUM=path)"
	CHROMIUM=$(CHROMIUM) $(CARGO) test -p glomers-bench --test browser -- --nocapture

# Screenshots of the HTML pages (docs/screenshots/): a valid broadcast run with partitions (report,
# message diagram, timeline), an invalid one (glomers-control drops gossip on purpose), and the
# pictures of lin-kv, txn and kafka control runs broken on purpose. Installs nothing.
SHOTS := docs/screenshots
comma := ,
# $(call shot,NAME,PAGE under target/shots,W$(comma)H): one page shot into $(SHOTS)/NAME.png.
define shot
	prof=$$(mktemp -d) && $(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --user-data-dir=$$prof \
		--screenshot=$(CURDIR)/$(SHOTS)/$(1).png --window-size=$(3) "file://$(CURDIR)/target/shots/$(2)" 2>/dev/null; \
		rm -rf $$prof
endef
# $(call shot_at,NAME,STORE under target/shots,ANCHOR,W$(comma)H): that store's latest report scrolled
# to #ANCHOR, through a page that frames it (Chromium's --screenshot does not scroll to a fragment).
define shot_at
	printf '<!DOCTYPE html><body style="margin:0"><iframe src="report.html#$(3)" style="border:0;width:100%%;height:100vh"></iframe>' \
		> target/shots/$(2)/latest/at-$(3).html
	$(call shot,$(1),$(2)/latest/at-$(3).html,$(4))
endef
KAFKA_SHOT := -w kafka --bin target/release/glomers-control --node-count 2 --concurrency 2n --time-limit 4 --rate 300 --seed 2
SHOT_RUN := -w broadcast --node-count 5 --time-limit 10 --rate 20 --nemesis partition --nemesis-interval 2 --seed 7
screenshots: build
	@test -x "$(CHROMIUM)" || { echo "screenshots need Chromium: apt-get install -y chromium (or CHROMIUM=/path/to/chromium)"; exit 2; }
	rm -rf target/shots && mkdir -p $(SHOTS)
	$(BENCH) test $(SHOT_RUN) --bin target/release/broadcast --store target/shots/valid > /dev/null
	$(BENCH) test $(SHOT_RUN) --bin target/release/glomers-control --store target/shots/invalid -- broadcast-lossy > /dev/null; test $$? -eq 1
	$(BENCH) test -w lin-kv --bin target/release/glomers-control --node-count 3 --time-limit 5 --rate 50 \
		--concurrency 2n --nemesis partition --nemesis-interval 1 --seed 3 --store target/shots/lin-kv -- lin-kv-stale > /dev/null || true
	$(BENCH) test -w txn-rw-register --bin target/release/glomers-control --node-count 2 --time-limit 4 --rate 50 \
		--seed 3 --store target/shots/txn -- txn-g0 > /dev/null || true
	$(BENCH) sim --challenge 3d --seed 1 --store target/shots/3d > /dev/null
	$(BENCH) test $(KAFKA_SHOT) --store target/shots/kafka-lost -- kafka-lost-send > /dev/null || true
	$(BENCH) test $(KAFKA_SHOT) --store target/shots/kafka-skip -- kafka-poll-skip > /dev/null || true
	$(call shot,broadcast-valid,valid/latest/report.html,1400$(comma)2600)
	$(call shot,broadcast-invalid,invalid/latest/report.html,1400$(comma)2600)
	$(call shot,messages,valid/latest/messages.html,1400$(comma)900)
	$(call shot,messages-3d,3d/latest/messages.html,1400$(comma)900)
	$(call shot,messages-3d-op,3d/latest/messages.html#op=409,1400$(comma)900)
	$(call shot,timeline,valid/latest/timeline.html,1400$(comma)700)
	$(call shot,lin-kv-report,lin-kv/latest/report.html,1400$(comma)3200)
	$(call shot,txn-report,txn/latest/report.html,1400$(comma)3200)
	$(call shot_at,kafka-lost-send,kafka-lost,anomalies,1400$(comma)1500)
	$(call shot_at,kafka-poll-skip,kafka-skip,anomalies,1400$(comma)1500)
	@ls -l $(SHOTS)
# The simulator (docs/simulator.md): the real nodes in-process under virtual time, many seeds.
SEEDS ?= 1000
SIM := $(BENCH) sim --store store/sim --seeds 1..$(SEEDS)

# Every row of the table, in order (as `glomers-bench challenges` runs them): the Gossip Glomers
# challenges, then Maelstrom's guide.
CHALLENGES := 1 2 3a 3b 3c 3d 3e 4 5a 5b 5c 6a 6b 6c
GUIDE_ROWS := lin-kv g-set pn-counter txn-list-append

soak: build
	@set -e; for c in $(CHALLENGES) $(GUIDE_ROWS); do echo "== $$c"; $(SIM) --challenge $$c; done

# The Raft node: the guide's command, then 5 nodes at 100 ms, then every extra fault of the simulator.
LINKV_GUIDE := -w lin-kv --node-count 3 --concurrency 10n --rate 100 --time-limit 60 --nemesis partition --nemesis-interval 3
soak-lin-kv: build
	$(SIM) $(LINKV_GUIDE)
	$(SIM) -w lin-kv --node-count 5 --concurrency 10n --rate 100 --latency 100 --time-limit 60 --nemesis partition --nemesis-interval 3
	$(SIM) $(LINKV_GUIDE) --duplicate 0.05 --reorder 50 --flap 500 --clock-skew 20000
	$(SIM) $(LINKV_GUIDE) --one-way --duplicate 0.05

# The guide's g-set, pn-counter and txn-list-append nodes at their rows' sizes and rates, with
# partitions and every extra fault of the simulator at once (one-way partitions that flap,
# duplicated and reordered messages, skewed clocks).
GUIDE_FAULTS := --nemesis partition --one-way --flap 500 --duplicate 0.05 --reorder 50 --clock-skew 20000
soak-guide: build
	$(SIM) -w g-set --node-count 5 --rate 100 --time-limit 20 $(GUIDE_FAULTS)
	$(SIM) -w pn-counter --node-count 5 --rate 100 --time-limit 20 $(GUIDE_FAULTS)
	$(SIM) -w txn-list-append --node-count 2 --rate 100 --time-limit 10 $(GUIDE_FAULTS)

# The txn checkers (list-append, then rw-register) on generated valid histories of 10,000, 100,000
# and 1,000,000 transactions, 10 in flight, under strict-serializable (docs/protocol.md §7.10).
txn-speed:
	$(CARGO) test --release -p glomers-bench --lib txn_checker_speed -- --ignored --nocapture

sim-speed: build
	$(BENCH) sim --store store/sim --challenge 3d --seed 1
	$(BENCH) sim --store store/sim --challenge 3c --seeds 1..1000

# The lin-kv checker beside Porcupine (a local checkout, PORCUPINE=dir) on the same files: 3 runs of
# 5 nodes at --concurrency 10n --rate 500 for 60 s with partitions (the lin-kv proxy control), and
# generated one-key histories growing in length and concurrency (10% unknown outcomes; "bad" ones
# end with a read no order explains).
LINCMP := target/lin-compare
lin-compare:
	@test -n "$(PORCUPINE)" || { echo "set PORCUPINE=/path/to/porcupine (a checkout of anishathalye/porcupine)"; exit 2; }
	$(CARGO) build --release -p glomers-bench
	rm -rf $(LINCMP) && mkdir -p $(LINCMP)/go $(LINCMP)/h
	cp bench/tools/porcupine-cmp/main.go $(LINCMP)/go/
	printf 'module porcupinecmp\n\ngo 1.16\n\nrequire github.com/anishathalye/porcupine v0.0.0\n\nreplace github.com/anishathalye/porcupine => %s\n' "$(abspath $(PORCUPINE))" > $(LINCMP)/go/go.mod
	cd $(LINCMP)/go && GOFLAGS=-mod=mod go build -o porcupine-cmp .
	for s in 1 2 3; do $(BENCH) sim -w lin-kv --impl lin-kv-proxy --node-count 5 --concurrency 10n --rate 500 --time-limit 60 \
		--nemesis partition --seed $$s --store $(LINCMP)/runs >/dev/null; \
		cp $(LINCMP)/runs/latest/history.jsonl $(LINCMP)/h/run-seed$$s.jsonl; done
	for n in 1000 4000 16000; do for c in 5 10 20; do \
		$(LINCMP)/go/porcupine-cmp gen $(LINCMP)/h/gen-n$$n-c$$c.jsonl $$n $$c 0.1 $$n; \
		$(LINCMP)/go/porcupine-cmp gen $(LINCMP)/h/gen-n$$n-c$$c-bad.jsonl $$n $$c 0.1 $$n bad; done; done
	@echo "== porcupine: file, ops, verdict, ms"
	$(LINCMP)/go/porcupine-cmp check $(LINCMP)/h/*.jsonl
	@echo "== glomers: file, ops, verdict, ms"
	LIN_HISTORIES="$$(ls $(abspath $(LINCMP))/h/*.jsonl | tr '\n' ' ')" $(CARGO) test --release -p glomers-bench --lib \
		lin_compare_timings -- --ignored --nocapture --test-threads 1 2>/dev/null | grep jsonl
