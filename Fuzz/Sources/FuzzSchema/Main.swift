import CLibFuzzer

/// SwiftPM starts an executable at `<module>_main` (it links `main` to that name); libFuzzer's driver takes over.
@_cdecl("fuzz_schema_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSchema(data, size) }
}
