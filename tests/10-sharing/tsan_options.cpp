// ThreadSanitizer sleeps 1 s before a multi-threaded process exits (atexit_sleep_ms, to catch
// races at exit). Chapter 10's tests end many such processes (every Manager server, queue
// children with feeder threads), so under TSan each would cost a second, 100 times over. The
// hook is read by the TSan runtime only; other builds ignore it.
extern "C" const char* __tsan_default_options();   // NOLINT(bugprone-reserved-identifier)
extern "C" const char* __tsan_default_options() {  // NOLINT(bugprone-reserved-identifier)
    return "atexit_sleep_ms=0";
}
