// swift-tools-version:6.0
import PackageDescription

// libFuzzer executables, one per parser, kept out of the main package so that its build and
// CI never see `-sanitize=fuzzer`. Build (launch/fuzz.sh does):
//   swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
// SwiftPM instruments every module it compiles, the main package's parsers included, and
// links each product against libFuzzer's main. (swiftc keeps only its last -sanitize flag, so
// the sanitizers go in one list; `--sanitize=fuzzer --sanitize=address` loses the coverage.) The entry points live in the main package
// (Tests/TxfFuzzEntries) so that its replay tests run the same code on the saved corpus.
let parsers = ["tsv", "csv", "jsonl", "tokenizer", "vocab", "safetensors", "dataset", "model"]

let package = Package(
    name: "txf-fuzz",
    dependencies: [.package(name: "txf", path: "..")],
    targets: parsers.map { parser in
        .executableTarget(name: "fuzz-\(parser)",
                          dependencies: [.product(name: "TxfFuzzEntries", package: "txf")],
                          path: "Sources/fuzz-\(parser)")
    },
    swiftLanguageModes: [.v6]
)
