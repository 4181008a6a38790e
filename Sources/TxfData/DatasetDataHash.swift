import TxfText

/// The hash `data_sha256` of a tokenized dataset (`DatasetSchema`): SHA-256 of the SHA-256
/// digests of `/tokens`, `/offsets` and `/labels`, each over its values' little-endian bytes,
/// then, when the dataset has them, of the optional datasets: `/pair_starts` (sentence pairs),
/// then `/targets` (a regression dataset).
///
/// One running hash per dataset lets the writer and the verifier feed the three in whatever
/// blocks they hold them in; the result depends only on the values. Python:
/// `sha256(b"".join(sha256(f[n][:].astype("<i4" or "<i8").tobytes()).digest() for n in …))`.
struct DatasetDataHash {
    private var tokens = SHA256()
    private var offsets = SHA256()
    private var labels = SHA256()
    /// nil unless the dataset holds sentence pairs.
    private var pairStarts: SHA256?
    /// nil: the dataset has no `/targets`, whose digest is then not part of the hash.
    private var targets: SHA256?

    /// - Parameters:
    ///   - pairs: the dataset has `/pair_starts`, hashed after the three others;
    ///   - withTargets: it has `/targets`, hashed last.
    init(pairs: Bool = false, withTargets: Bool = false) {
        pairStarts = pairs ? SHA256() : nil
        if withTargets { targets = SHA256() }
    }

    /// Adds the next values of each dataset (any of them may be empty).
    mutating func update(tokens: [Int32], offsets: [Int64], labels: [Int32]) {
        // txf runs on little-endian hosts (x86-64, arm64), where the memory bytes are the LE bytes.
        tokens.withUnsafeBytes { self.tokens.update($0) }
        offsets.withUnsafeBytes { self.offsets.update($0) }
        labels.withUnsafeBytes { self.labels.update($0) }
    }

    /// Adds the next values of `/pair_starts` (only for a hash made with `pairs: true`).
    mutating func update(pairStarts values: [Int32]) {
        precondition(pairStarts != nil, "pair starts in a hash of single sentences")
        values.withUnsafeBytes { self.pairStarts!.update($0) }
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
        if var pairStarts { outer.update(pairStarts.finalize()) }
        if var targets { outer.update(targets.finalize()) }
        return outer.finalizeHex()
    }
}
