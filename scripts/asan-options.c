/* Preloaded by scripts/asan-httpd (make test-asan), never part of the module.
 *
 * gcc's UBSan runtime (libubsan) initialises lazily, at its first report, and
 * reads UBSAN_OPTIONS from /proc/self/environ. In an httpd child that has
 * switched to "User nobody" that file is unreadable (the process is no longer
 * dumpable), so UBSan falls back to its defaults, and, as it shares the
 * sanitizer common flags with the preloaded libasan, it also resets ASan's
 * log_path to stderr. This hook hands UBSan the options from libc's environ,
 * which the child still has. */
#include <stdlib.h>

const char *__ubsan_default_options(void);

const char *__ubsan_default_options(void)
{
    const char *options = getenv("UBSAN_OPTIONS");

    return options ? options : "";
}
