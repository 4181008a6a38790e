// The shared test helpers (assertClose), for every file of this target.
@_exported import TxfTestSupport
