import TxfData
import TxfDist

extension TrainingData {
    /// Checks that every rank opened the same `--train` (and `--eval`) data: each rank reads its
    /// own host's copy, and a copy that differs would train (or evaluate) on other rows in
    /// silence. The fingerprint covers the stored ids themselves (`data_sha256`, verified over
    /// the whole file when it was opened), so two copies agree only when their contents do.
    ///
    /// A mismatch names the ranks and hosts of each copy and ends every rank:
    /// `ranks disagree on the --train data (dataset fingerprint): rank 0 (host node-a) has "9f8e…",
    /// rank 1 (host node-b) has "1a2b…"; every host needs an identical copy of --train data/train.h5 …`.
    func agreeAcrossHosts(_ communicator: any Communicator) throws {
        try Self.agree(train, flag: "--train", communicator)
        // --eval is given on every rank or on none (the config is the same everywhere).
        if let eval { try Self.agree(eval, flag: "--eval", communicator) }
    }

    private static func agree(_ dataset: TokenDataset, flag: String, _ communicator: any Communicator) throws {
        do {
            try communicator.agree("the \(flag) data (dataset fingerprint)", dataset.fingerprint, namingHosts: true)
        } catch let error as CollectiveError {
            throw CollectiveError("\(error.message); every host needs an identical copy of \(flag) \(dataset.path) (the same `txf prepare` output)")
        }
    }
}
