# Cedar Heights academy backend. `make run` serves, `make test` checks.
BIN      := bin/cedarheights
DATA     ?= pb_data
HTTP     ?= 127.0.0.1:8090
GOFLAGS  ?= -buildvcs=false
export GOFLAGS

.PHONY: run build test test-go test-js demo bench lint clean

build:
	go build -o $(BIN) .

run: build
	@echo ""
	@echo "  Cedar Heights academy → http://$(HTTP)"
	@echo "  REST API              → http://$(HTTP)/api/v1/health"
	@echo "  Admin UI              → http://$(HTTP)/_/"
	@echo "  First superuser       → ./$(BIN) superuser upsert you@example.com 'a-long-password' --dir $(DATA)"
	@echo "  Demo data (optional)  → make demo   (in another terminal, or before run)"
	@echo ""
	./$(BIN) serve --http $(HTTP) --dir $(DATA)

demo: build
	./$(BIN) demo --dir $(DATA)

test: build test-go test-js

test-go:
	go test -count=1 -coverprofile=coverage.out -coverpkg=./... ./...
	@go tool cover -func=coverage.out | tail -n 1

test-js: build
	cd tests/js && npm ci --no-audit --no-fund && CEDARHEIGHTS_BIN=$(CURDIR)/$(BIN) npm test

bench: build
	go run ./bench/load -bin $(BIN)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

clean:
	rm -rf bin coverage.out
