// Package deploy tests what the Dockerfile and deploy/ ship, with the
// binaries themselves: the academy built with the Dockerfile's own `go build`
// line and served by a non-root user (image_test.go), and Litestream
// replicating pb_data to S3 (a local gofakes3) through deploy/entrypoint.sh
// and deploy/litestream.yml, restored after the primary's folder is deleted
// with every acknowledged write present (restore_test.go).
//
// The Litestream test needs the litestream and gofakes3 binaries (make test
// installs them); without them it skips, unless LITESTREAM_REQUIRED is set.
// DEPLOY_TEST_LOGS=<dir> keeps every started process's full output there.
package deploy
