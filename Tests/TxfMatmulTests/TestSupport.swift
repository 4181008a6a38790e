// The shared test helpers (assertClose, TestRandom, TestPaths), for every file of this target.
@_exported import TxfTestSupport
