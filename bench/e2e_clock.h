// Clocks of the end-to-end benchmarks: this process's CPU time and a monotonic wall clock,
// both in seconds.
#pragma once

#include <sys/resource.h>

#include <chrono>

namespace vigil::bench {

inline double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

inline double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace vigil::bench
