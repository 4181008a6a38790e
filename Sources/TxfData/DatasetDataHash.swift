import TxfText

/// The hash `data_sha256` of a tokenized dataset (`DatasetSchema`): SHA-256 of the SHA-256
/// digests of `/tokens`, `/offsets` and `/labels`, each over its values' little-endian bytes,
/// then of `/targets` when the dataset has it (a regression dataset).
///
/// One running hash per dataset lets the writer and the verifier feed the three in whatever
/// blocks they hold them in; the result depends only on the values. Python:
/// `sha256(b"".join(sha256(f[n][:].astype("<i4" or "<i8").tobytes()).digest() for n in …))`.
struct DatasetDataHash {
    private var tokens = SHA256()
    private var offsets = SHA256()
    private var labels = SHA256()
    /// nil: the dataset has no `/targets`, whose digest is then not part of the hash.
    private var targets: SHA256?

    init(withTargets: Bool = false) {
        if withTargets { targets = SHA256() }
    }

    /// Adds the next values of each dataset (any of them may be empty).
    mutating func update(tokens: [Int32], offsets: [Int64], labels: [Int32]) {
        // txf runs on little-endian hosts (x86-64, arm64), where the memory bytes are the LE bytes.
        tokens.withUnsafeBytes { self.tokens.update($0) }
        offsets.withUnsafeBytes { self.offsets.update($0) }
        labels.withUnsafeBytes { self.labels.update($0) }
    }

    /// Adds the next regression targets (only for a hash made `withTargets`).
    mutating func update(targets values: [Float]) {
        precondition(targets != nil, "targets hashed for a dataset without /targets")
        values.withUnsafeBytes { targets!.update($0) }
    }

    /// The hex digest; the hash cannot be used afterwards.
    mutating func finalizeHex() -> String {
        var outer = SHA256()
        outer.update(tokens.finalize())
        outer.update(offsets.finalize())
        outer.update(labels.finalize())
        if var targets { outer.update(targets.finalize()) }
        return outer.finalizeHex()
    }
}
