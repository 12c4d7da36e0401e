package workflows

// LockDataDir lets the package's external tests hold a data dir's lock the
// way another live server process would.
var LockDataDir = lockDataDir
