// swift-tools-version:6.0
import PackageDescription

// C libraries come from Debian's -dev packages (through pkg-config, but for oneDNN, which ships
// no .pc file: its module map links it); each shim target holds only a module map and a header
// of `static inline` accessors for the macros Swift cannot import.
let package = Package(
    name: "txf",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "txf", targets: ["txf"]),
        .executable(name: "txf-train", targets: ["txf-train"]),
        // For the libFuzzer package in Fuzz/ only.
        .library(name: "TxfFuzzEntries", targets: ["TxfFuzzEntries"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 (Crypto's SHA256; on Linux over its bundled BoringSSL).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Debian ships no dnnl.pc; the module map links -ldnnl.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // Counts heap allocations by replacing glibc's malloc family; only `txf` (for `txf bench`)
        // links it.
        .target(name: "CAllocationCount"),
        .target(name: "TxfCore", dependencies: ["COpenBLAS"]),
        .target(name: "TxfHDF5", dependencies: ["CHDF5", "TxfCore"]),
        .target(name: "TxfDist", dependencies: ["CMPI", "TxfCore"]),
        .target(name: "TxfText", dependencies: ["TxfCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "TxfData", dependencies: ["TxfCore", "TxfHDF5", "TxfText"]),
        .target(name: "TxfModel", dependencies: ["TxfCore", "TxfMatmul"]),
        // bf16 conversion and matrix products on oneDNN (f32 or bf16 inputs, f32 accumulation).
        .target(name: "TxfMatmul", dependencies: ["TxfCore", "CDNNL"]),
        // Model files and checkpoints (one archive format), safetensors and Hugging Face import/export.
        .target(name: "TxfStore", dependencies: ["TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfModel"]),
        // Evaluation, prediction and gradient dumps of a stored or in-memory model.
        .target(name: "TxfEval", dependencies: ["TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfDist", "TxfModel", "TxfStore"]),
        .target(name: "TxfTrain", dependencies: ["TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfDist", "TxfMatmul", "TxfModel", "TxfStore", "TxfEval"]),

        // The main of the command-line executables: arguments parsed, then the one error path of `Job`.
        .target(name: "TxfCommand", dependencies: [
            "TxfCore", "TxfDist", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .executableTarget(name: "txf", dependencies: [
            "CAllocationCount", "TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfDist", "TxfModel", "TxfMatmul", "TxfStore", "TxfEval", "TxfTrain", "TxfCommand",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "txf-train", dependencies: [
            "TxfCore", "TxfDist", "TxfTrain", "TxfCommand",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Multi-rank scenarios the tests launch under mpirun (communicator sums, agreement, aborts).
        .executableTarget(name: "txf-mpi-selftest", dependencies: ["TxfCore", "TxfDist"]),

        // What every test target shares: assertClose, the runner for mpirun jobs and other
        // processes, python3, and where the optional SST-2 and MiniLM files are.
        .target(name: "TxfTestSupport", path: "Tests/TxfTestSupport"),
        // The parsers as fuzz targets: bytes in, accept or throw. Fuzz/ links them with libFuzzer;
        // TxfFuzzTests replays the checked-in corpus through them.
        .target(name: "TxfFuzzEntries", dependencies: ["TxfCore", "TxfText", "TxfData", "TxfStore"], path: "Tests/TxfFuzzEntries"),
        .testTarget(name: "TxfCoreTests", dependencies: ["TxfCore", "TxfTestSupport"]),
        .testTarget(name: "TxfTextTests", dependencies: ["TxfText", "TxfTestSupport"], exclude: ["Fixtures"]),  // golden files, found via #filePath
        .testTarget(name: "TxfDataTests", dependencies: ["TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfTestSupport"]),
        .testTarget(name: "TxfModelTests", dependencies: ["TxfCore", "TxfMatmul", "TxfModel", "TxfTestSupport"], exclude: ["Fixtures"]),  // reference.json + its generator, found via #filePath
        .testTarget(name: "TxfStoreTests", dependencies: ["TxfCore", "TxfStore", "TxfTestSupport"]),
        .testTarget(name: "TxfTrainTests", dependencies: ["TxfCore", "TxfHDF5", "TxfText", "TxfData", "TxfDist", "TxfMatmul", "TxfModel", "TxfStore", "TxfEval", "TxfTrain", "TxfTestSupport"], exclude: ["Fixtures"]),  // hf_reference.py, found via #filePath
        .testTarget(name: "TxfDistTests", dependencies: ["TxfCore", "TxfDist", "TxfTestSupport"]),
        // Runs saved inputs that once crashed in a child process (TxfFuzzTests starts it).
        .executableTarget(name: "txf-fuzz-replay", dependencies: ["TxfFuzzEntries"], path: "Tests/txf-fuzz-replay"),
        .testTarget(name: "TxfFuzzTests", dependencies: ["TxfFuzzEntries", "TxfTestSupport"]),
        .testTarget(name: "TxfMatmulTests", dependencies: ["TxfCore", "TxfMatmul", "TxfTestSupport"]),
        // Runs the README's ```sh blocks (docs/ARCHITECTURE.md, "The README is tested").
        .testTarget(name: "TxfReadmeTests", dependencies: ["TxfTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
