import TxfFuzzEntries

/// libFuzzer's per-input callback; its main (linked by `-sanitize=fuzzer`) drives it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTarget.tokenizer.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
