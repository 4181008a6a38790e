import Foundation
import Testing
import TxfCore
import TxfData
import TxfEval
import TxfStore
import TxfText

/// Damaged and hostile files against the real executables: a mutated dataset or model file
/// must end its reader with an error, never a signal or a hang; a dataset whose token ids run
/// past the model's vocab must be refused where the two meet.
@Suite("Hostile files against txf")
struct HostileFilesAgainstTxfTests {
    /// A copy of the fixture's dev set, valid by every check of its own, whose first row holds
    /// the id `vocab.count + 3`: the file says `vocab_size` is 10 more than the vocab's.
    static let pastVocab: (path: String, id: Int32, vocab: Int) = {
        do {
            let dev = try TokenDataset(path: TrainFixture.paths.dev)
            let vocab = try dev.vocabulary().count
            let path = TrainFixture.paths.directory + "/past-vocab.h5"
            let writer = try TokenDatasetWriter(path: path)
            for row in 0 ..< dev.rowCount {
                var ids = try dev.tokens(ofRow: row)
                if row == 0 { ids[1] = Int32(vocab + 3) }
                try writer.append(ids, label: dev.labels[row])
            }
            var info = dev.info
            info.tokenizer.vocabSize = vocab + 10
            try writer.finish(info: info, vocabBytes: try dev.vocabularyBytes())
            return (path, Int32(vocab + 3), vocab)
        } catch { fatalError("cannot write the past-vocab dataset: \(error)") }
    }()

    @Test("a token id past the model's vocab is an error naming the file, the id and the vocab size in train, evaluate and gradients")
    func tokenIdPastVocab() throws {
        let (path, id, vocab) = Self.pastVocab
        let out = TrainFixture.runDirectory("past-vocab")
        let train = try Job.train(ranks: 1, ["--train", path, "--out", out, "--vocab", TrainFixture.paths.vocab, "--max-steps", "1",
                                             "--global-batch", "8"] + TrainFixture.modelFlags)
        #expect(train.status == 1 && train.stderr.contains("\(path) holds token id \(id) but the model of this run has a vocab of \(vocab) tokens"),
                "\(train.output)")
        let model = LoRAFixture.base
        let evaluate = try Job.run("txf", ranks: nil, ["evaluate", "--model", model, "--data", path])
        #expect(evaluate.status == 1 && evaluate.stderr.contains("\(path) holds token id \(id) but the model \(model) has a vocab of \(vocab) tokens"),
                "\(evaluate.output)")
        let gradients = try Job.run("txf", ranks: nil, ["gradients", "--model", model, "--data", path, "--rows", "0:4",
                                                        "--out", out + "-gradients.h5"])
        #expect(gradients.status == 1 && gradients.stderr.contains("\(path) holds token id \(id) but the model \(model) has a vocab of \(vocab) tokens"),
                "\(gradients.output)")
    }

    @Test("a format-1 checkpoint (variable-length strings and /vocab) is refused by its types; the converter makes it whole again")
    func formatOneArchive() throws {
        guard Python.has("h5py") else { return }
        let path = TrainFixture.runDirectory("format-1") + ".h5"
        try FileManager.default.copyItem(atPath: LoRAFixture.base, toPath: path)
        let original = try ModelArchive(path: LoRAFixture.base).meta
        let downgrade = """
        import sys, h5py
        f = h5py.File(sys.argv[1], 'r+')
        tokens = f['vocab'][()].tobytes().decode().split('\\n')[:-1]
        del f['vocab']
        f.create_dataset('vocab', data=tokens, dtype=h5py.string_dtype())
        for key, value in list(f.attrs.items()):
            if isinstance(value, bytes): f.attrs[key] = value.decode()
            elif getattr(value, 'dtype', None) is not None and value.dtype.kind == 'S':
                f.attrs.create(key, [v.decode() for v in value], dtype=h5py.string_dtype())
        f.attrs['txf_schema_version'] = 1
        """
        let result = try Python.run(["-c", downgrade, path])
        #expect(result.status == 0, "\(result.output)")
        #expect(throws: TxfError("\(path) is a file of txf's format 1 (variable-length strings, which this txf does not read); convert it with `python3 launch/txf-convert-format1.py \(path)`, or make it again (`txf import-hf`, `txf-train`)")) {
            _ = try ModelArchive(path: path)
        }
        let converter = TestPaths.repositoryRoot.appendingPathComponent("launch/txf-convert-format1.py").path
        let converted = try Python.run([converter, path])
        #expect(converted.status == 0, "\(converted.output)")
        #expect(try ModelArchive(path: path).meta == original)
        #expect(try StoredModel(path: path).vocab == original.vocab)  // tensors read, checksum verified
    }

    /// How `mutants` of `original` ended in `command(mutant)`: by exit code, by signal, or past the deadline.
    struct Outcomes: CustomStringConvertible {
        var exitCodes: [Int32: Int] = [:]
        var signalled: [String] = []
        var hung: [String] = []
        var description: String { "exit codes \(exitCodes.sorted { $0.key < $1.key }), signals \(signalled), hangs \(hung)" }
    }

    /// Writes `count` mutants of `original` (1–4 edits each: a flipped bit, a byte set to 0,
    /// 0x7f, 0x80 or 0xff, or 8 bytes of 0xff, at offsets drawn from `seed`) and runs
    /// `command` on each in a child process, three at a time, each stopped after `deadline` s.
    func mutate(_ original: String, count: Int, seed: UInt64, deadline: Double,
                _ command: (String) -> (URL, [String])) throws -> Outcomes {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let directory = TrainFixture.runDirectory("mutants-\(seed)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var random = SplitMix(state: seed)
        var outcomes = Outcomes()
        var running: [(Process, String, Date)] = []
        func reap(_ entry: (Process, String, Date)) {
            let (process, path, _) = entry
            if process.terminationReason == .uncaughtSignal && !outcomes.hung.contains(path) {
                outcomes.signalled.append("\(path): signal \(process.terminationStatus)")
            } else if !outcomes.hung.contains(path) {
                outcomes.exitCodes[process.terminationStatus, default: 0] += 1
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        for index in 0 ..< count {
            var mutant = bytes
            for _ in 0 ..< 1 + random.below(4) {
                let offset = random.below(mutant.count)
                switch random.below(3) {
                case 0: mutant[offset] ^= 1 << UInt8(random.below(8))
                case 1: mutant[offset] = [0, 0x7f, 0x80, 0xff][random.below(4)]
                default: for k in offset ..< min(offset + 8, mutant.count) { mutant[k] = 0xff }
                }
            }
            let path = "\(directory)/\(index).h5"
            try Data(mutant).write(to: URL(fileURLWithPath: path))
            let (executable, arguments) = command(path)
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.environment = Job.environment()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            running.append((process, path, Date()))
            while running.count >= 3 || (index == count - 1 && !running.isEmpty) {
                for (i, entry) in running.enumerated().reversed() {
                    if !entry.0.isRunning {
                        reap(entry)
                        running.remove(at: i)
                    } else if Date().timeIntervalSince(entry.2) > deadline, !outcomes.hung.contains(entry.1) {
                        outcomes.hung.append(entry.1)
                        kill(entry.0.processIdentifier, SIGKILL)
                    }
                }
                usleep(2_000)
            }
        }
        return outcomes
    }

    @Test("hundreds of mutated dataset and model files: every reader ends with an error or a result, never a signal or a hang",
          .timeLimit(.minutes(3)))
    func mutatedFiles() throws {
        guard let txf = TestPaths.built("txf") else { Issue.record("txf not built"); return }
        let datasets = try mutate(TrainFixture.paths.dev, count: 100, seed: 11, deadline: 10) { (txf, ["inspect", $0]) }
        #expect(datasets.signalled.isEmpty && datasets.hung.isEmpty, "txf inspect on mutated datasets: \(datasets)")
        let models = try mutate(LoRAFixture.base, count: 100, seed: 12, deadline: 10) {
            (txf, ["evaluate", "--model", $0, "--data", TrainFixture.paths.dev])
        }
        #expect(models.signalled.isEmpty && models.hung.isEmpty, "txf evaluate on mutated checkpoints: \(models)")
        print("mutated datasets: \(datasets); mutated checkpoints: \(models)")
    }
}

/// SplitMix64: the mutants are the same on every run.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
