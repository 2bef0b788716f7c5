// libFuzzer's entry point for programs that have their own main (libclang_rt.fuzzer, LLVM 11 and later).
// SwiftPM links an executable's main under the name <module>_main, so each fuzz target defines that symbol and
// hands control to libFuzzer's driver from it (see FuzzSupport/FuzzMain.swift).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
