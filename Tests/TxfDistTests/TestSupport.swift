// The shared test helpers (Job, TestPaths), for every file of this target.
@_exported import TxfTestSupport
