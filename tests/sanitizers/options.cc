// Default runtime options of the sanitizers, compiled into the sanitized
// kpi_exporter and unit_tests only (CMake KPI_SANITIZE=address|thread; never
// into a normal build). Being part of the binary, they hold however it is
// started: by ctest, by an integration test's subprocess, or by hand. The
// ASAN_OPTIONS / UBSAN_OPTIONS / TSAN_OPTIONS environment variables are read
// after these, so they can still override one option for a local run.
//
// Every finding stops the program (halt_on_error, and -fno-sanitize-recover
// for UBSan at compile time), so the test that meets it fails instead of
// printing a report nobody reads.

#define KPI_SANITIZER_HOOK extern "C" __attribute__((visibility("default"), used)) const char*

#if defined(__SANITIZE_ADDRESS__)
KPI_SANITIZER_HOOK __asan_default_options() {
  // detect_leaks: LeakSanitizer runs at exit. It needs ptrace-like thread
  // suspension; scripts/test.sh checks that it works on the machine and sets
  // ASAN_OPTIONS=detect_leaks=0 (with a warning) where it does not.
  return "halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:"
         "strict_init_order=1:abort_on_error=0";
}
KPI_SANITIZER_HOOK __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }
#endif

#if defined(__SANITIZE_THREAD__)
KPI_SANITIZER_HOOK __tsan_default_options() { return "halt_on_error=1:second_deadlock_stack=1"; }
#endif
