import Foundation
import TxfFuzzEntries

// txf-fuzz-replay TARGET FILE…: runs each file through the fuzz target's entry point once and
// exits 0. The replay tests start it for inputs that once crashed, so a crash that comes back
// fails one test instead of killing the test runner.
let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
    FileHandle.standardError.write(Data("usage: txf-fuzz-replay {\(FuzzTarget.allCases.map(\.rawValue).joined(separator: ","))} FILE…\n".utf8))
    exit(64)
}
for path in arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("txf-fuzz-replay: cannot read \(path)\n".utf8))
        exit(1)
    }
    target.run([UInt8](data))
}
ScratchFile.remove(for: target)
