# Cedar Heights academy backend. `make run` serves, `make test` checks.
BIN      := bin/cedarheights
TEST_DATA := bin/test-data
DATA     ?= pb_data
HTTP     ?= 127.0.0.1:8090
GOFLAGS  ?= -buildvcs=false
# -trimpath: without it Go's build cache keys this module's packages by
# their absolute folder, so a clone at another path (CI's, a worktree)
# compiled every package again, with coverage too: about 150 s of CPU.
ifeq (,$(findstring -trimpath,$(GOFLAGS)))
GOFLAGS += -trimpath
endif
export GOFLAGS

.PHONY: run build test test-go test-js test-browser vendor-sdk stripe-mock demo bench bench-scale lint clean

build:
	go build -o $(BIN) .

run: build
	@echo ""
	@echo "  Cedar Heights academy → http://$(HTTP)"
	@echo "  REST API              → http://$(HTTP)/api/v1/health"
	@echo "  Admin UI              → http://$(HTTP)/_/"
	@echo "  First superuser       → ./$(BIN) superuser upsert you@example.com 'a-long-password' --dir $(DATA)"
	@echo "  Demo data (optional)  → make demo   (in another terminal, or before run)"
	@echo "  Mail                  → SMTP: Admin UI → Settings → Mail settings, or SMTP_HOST/SMTP_PORT."
	@echo "                          To see it locally: make mail, then SMTP_HOST=127.0.0.1 SMTP_PORT=1025 make run."
	@echo "                          Without SMTP or sendmail mail waits in email_outbox (health: degraded)"
	@echo "  Pages                 → / (public), /account/ (families), /teacher/, /docs/ (API reference)"
	@echo ""
	./$(BIN) serve --http $(HTTP) --dir $(DATA)

demo: build
	./$(BIN) demo --dir $(DATA)

# The Go, the JS and the browser suites run side by side; each prints its
# output when it is done.
#
# The suites run with GOGC=400 (the compiler, the linker, the test binaries
# and the servers they start): they build an app per test, garbage the
# collector at the default 100 kept chasing; hooks' tests take about a
# sixth less CPU this way, for twice the memory (about 350 MB). Not for
# make run: production keeps Go's default.
TEST_GOGC ?= 400
test test-go test-js test-browser: export GOGC = $(TEST_GOGC)
test: build stripe-mock mailpit litestream
	@$(MAKE) --no-print-directory -j3 --output-sync=target test-go test-js test-browser

# The billing tests start stripe-mock (the version whose API spec is closest
# to stripe-go v76's); install it once into Go's bin folder if it is missing.
STRIPE_MOCK_VERSION := v0.162.0
stripe-mock:
	@command -v stripe-mock >/dev/null 2>&1 || test -x "$$(go env GOPATH)/bin/stripe-mock" || \
	  (echo "installing stripe-mock $(STRIPE_MOCK_VERSION)"; go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION))

# The mail tests deliver to mailpit (a real SMTP server with a web UI);
# `make mail` runs it on 127.0.0.1 for a person to read what the app sends.
.PHONY: mail mailpit
MAILPIT_VERSION := v1.33.1
MAILPIT = $$(command -v mailpit || echo "$$(go env GOPATH)/bin/mailpit")
mailpit:
	@command -v mailpit >/dev/null 2>&1 || test -x "$$(go env GOPATH)/bin/mailpit" || \
	  (echo "installing mailpit $(MAILPIT_VERSION)"; go install github.com/axllent/mailpit@$(MAILPIT_VERSION))

# tests/deploy replicates pb_data with Litestream to a local S3 stand-in
# (gofakes3), deletes it and restores it; install both once into Go's bin
# folder (Litestream's first build takes a few minutes).
.PHONY: litestream
LITESTREAM_VERSION := v0.5.18
GOFAKES3_VERSION := v1.2.0
litestream:
	@command -v litestream >/dev/null 2>&1 || test -x "$$(go env GOPATH)/bin/litestream" || \
	  (echo "installing litestream $(LITESTREAM_VERSION)"; go install github.com/benbjohnson/litestream/cmd/litestream@$(LITESTREAM_VERSION))
	@command -v gofakes3 >/dev/null 2>&1 || test -x "$$(go env GOPATH)/bin/gofakes3" || \
	  (echo "installing gofakes3 $(GOFAKES3_VERSION)"; go install github.com/johannesboyne/gofakes3/cmd/gofakes3@$(GOFAKES3_VERSION))

mail: mailpit
	@echo ""
	@echo "  mailpit: SMTP 127.0.0.1:1025, mail in the browser → http://127.0.0.1:8025"
	@echo "  In another terminal: SMTP_HOST=127.0.0.1 SMTP_PORT=1025 make run"
	@echo ""
	$(MAILPIT) --smtp 127.0.0.1:1025 --listen 127.0.0.1:8025 --disable-version-check --smtp-disable-rdns

# Coverage counts our own code: every package but main (wiring), the test
# helpers and stand-ins (testapp, stripestub, tests/crash) and the
# benchmarks, whichever package's tests reach it. The summary prints even
# when a test fails; the target still fails then.
COVERPKG = $(shell go list ./... | grep -v -e '^cedarheights$$' -e '/internal/testapp$$' -e '/internal/mailpit$$' -e '/internal/localbin$$' -e '/bench' -e '/stripestub$$' -e '/tests/' | paste -sd, -)
COVER_BY_PACKAGE = awk 'NR > 1 { stmts[$$1] = $$2; if ($$3 > 0) hit[$$1] = 1 } \
	END { for (b in stmts) { split(b, p, ":"); pkg = p[1]; sub("/[^/]*$$", "", pkg); \
	  total[pkg] += stmts[b]; if (b in hit) cov[pkg] += stmts[b] } \
	  for (pkg in total) printf "  %-34s %6.1f%%  (%d of %d statements)\n", pkg, 100 * cov[pkg] / total[pkg], cov[pkg], total[pkg] }'

# The packages whose tests take longest are named first: go test starts
# packages in the order given, so none of them is left to run alone at the
# end. -p 4 on two cores: these mostly wait (servers they start, kill -9
# and restarts, timers), so four packages at a time keep both cores busy.
# The simulation plays against the binary `make build` made (SIM_BIN)
# rather than linking its own copy. tests/deploy is not among the first:
# beside hooks and cli its server starved past the 5 s query deadline.
GO_TEST_FIRST = ./tests/sim ./hooks ./cli ./tests/crash ./enrollment
GO_TEST_P ?= 4

test-go: build
	@rm -f coverage.out
	@status=0; \
	SIM_BIN=$(CURDIR)/$(BIN) go test -count=1 -p $(GO_TEST_P) -coverprofile=coverage.out -coverpkg=$(COVERPKG) \
	  $(GO_TEST_FIRST) ./... || status=$$?; \
	if [ -s coverage.out ]; then \
	  echo "statement coverage by package:"; \
	  $(COVER_BY_PACKAGE) coverage.out | sort; \
	  go tool cover -func=coverage.out | tail -n 1; \
	fi; \
	exit $$status

test-js: build tests/js/node_modules/.package-lock.json $(TEST_DATA)/data.db
	cd tests/js && CEDARHEIGHTS_BIN=$(CURDIR)/$(BIN) CEDARHEIGHTS_DATA_TEMPLATE=$(CURDIR)/$(TEST_DATA) npm test

# The data dir the JS and browser suites' servers start from: migrated once
# per run (after the build, never beside it), in the zone and with the
# superuser of tests/shared/processes.js; each server copies it instead of
# migrating a fresh one (~0.6 s of CPU each).
$(TEST_DATA)/data.db: build
	@rm -rf $(TEST_DATA)
	@ACADEMY_TZ=UTC ./$(BIN) superuser upsert owner@test.local owner-password-1234 --dir $(TEST_DATA) >/dev/null
	@ACADEMY_TZ=UTC ./$(BIN) migrate up --dir $(TEST_DATA) >/dev/null

# npm ci only when the lock file changed since the last install (npm writes
# node_modules/.package-lock.json at the end of each): it deletes and
# reinstalls node_modules every time, 3-7 s of each suite's wall.
tests/%/node_modules/.package-lock.json: tests/%/package-lock.json
	cd tests/$* && npm ci --no-audit --no-fund

# The pages in headless Chromium (Debian's chromium-headless-shell, which CI
# installs, else /usr/bin/chromium; CHROMIUM_PATH overrides): playwright-core
# drives it against the built server. SCREENSHOTS=1 make test-browser writes
# each page's screenshots to tests/browser/artifacts/ (not committed); a page
# test that fails writes its page there whatever the setting.
test-browser: build tests/browser/node_modules/.package-lock.json $(TEST_DATA)/data.db
	cd tests/browser && CEDARHEIGHTS_BIN=$(CURDIR)/$(BIN) CEDARHEIGHTS_DATA_TEMPLATE=$(CURDIR)/$(TEST_DATA) npm test

# pb_public serves the official JS SDK from our own files: refresh it from
# the npm package tests/browser pins (pocketbase 0.28.1), unchanged.
vendor-sdk: tests/browser/node_modules/.package-lock.json
	cp tests/browser/node_modules/pocketbase/dist/pocketbase.es.mjs pb_public/vendor/pocketbase.es.mjs
	cp tests/browser/node_modules/pocketbase/LICENSE.md pb_public/vendor/pocketbase.LICENSE.md

# The load, client-query, billing, enrollment/mail and page benchmarks (not
# tests): BENCH_FLAGS=-quick for short runs. The last line plays the
# simulation's full school year (tests/sim, SIM_SEED=n replays a seed).
bench: build mailpit tests/browser/node_modules/.package-lock.json
	go run ./bench/load -bin $(BIN) $(BENCH_FLAGS)
	go run ./bench/queries -bin $(BIN) $(BENCH_FLAGS)
	go run ./bench/billing $(BENCH_FLAGS)
	go run ./bench/enrollment $(BENCH_FLAGS)
	cd tests/browser && CEDARHEIGHTS_BIN=$(CURDIR)/$(BIN) node bench-pages.js $(BENCH_FLAGS)
	go build -o bin/crash-server ./tests/crash/server
	go run ./bench/workflows -bin bin/crash-server $(BENCH_FLAGS) && CRASH_TRIALS=$${CRASH_TRIALS:-12} go test -count=1 -run TestKillNineMidRun ./tests/crash
	SIM_YEAR=1 go test -count=1 -timeout 30m -run TestTerm -v ./tests/sim
# Ten times the seed runs as its own target (its first load takes about a quarter of an hour); its latest
# figures, with their date and machine, are printed beside this run's.
	@if [ -f bench/out/scale.md ]; then echo "== ten times the seed (the latest make bench-scale):"; cat bench/out/scale.md; \
	else echo "== ten times the seed: not measured on this machine yet (make bench-scale)"; fi

# Ten times the seed (issue 14): 5,000 students, 1,000 teachers, 10,000
# lessons a day for a school year, loaded in bulk into SCALE_DIR and kept
# there: a later run reuses it while the loader's code is unchanged (the
# stamp hashes cli/demo*.go), so only the first run pays the load.
SCALE_DIR ?= /tmp/cedarheights-scale
SCALE_STAMP = $(shell cat $(sort $(filter-out %_test.go,$(wildcard cli/demo*.go))) | sha256sum | cut -c1-16)
bench-scale: build
	@if [ -f $(SCALE_DIR)/data.db ] && [ "$$(cat $(SCALE_DIR)/.loaded 2>/dev/null)" = "$(SCALE_STAMP)" ]; then \
		echo "bench-scale: reusing $(SCALE_DIR) (loaded by this loader)"; reuse=-reuse; \
	else rm -rf $(SCALE_DIR); reuse=; fi; \
	go run ./bench/load -bin $(BIN) -size scale -data $(SCALE_DIR) $$reuse -stamp $(SCALE_STAMP) \
		-week-rate 200 -out bench/out/scale.md $(BENCH_FLAGS)

# The soak (not a test, not part of make bench): the seed's load for
# DURATION with the workflow workers busy; 0 errors, 0 "database is locked",
# memory flat, p95 per endpoint and minute. Writes bench/out/soak.md.
DURATION ?= 10m
.PHONY: soak
soak: build mailpit
	go run ./bench/soak -bin $(BIN) -duration $(DURATION) $(SOAK_FLAGS)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

clean:
	rm -rf bin coverage.out
