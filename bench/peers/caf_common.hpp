// Shared by the CAF peers (bench/peers/caf_w*.cpp): the clock, RSS
// readings and the result line, the same as bench/bench_util.h prints.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

inline double peer_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

inline size_t peer_rss_now() {
  unsigned long size = 0, res = 0;
  if (FILE* f = fopen("/proc/self/statm", "r")) {
    if (fscanf(f, "%lu %lu", &size, &res) != 2)
      res = 0;
    fclose(f);
  }
  return size_t(res) * size_t(sysconf(_SC_PAGESIZE));
}

inline size_t peer_rss_peak() {
  char line[256];
  unsigned long kb = 0;
  if (FILE* f = fopen("/proc/self/status", "r")) {
    while (fgets(line, sizeof(line), f))
      if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
        break;
    fclose(f);
  }
  return size_t(kb) * 1024;
}

inline void peer_result(const char* w, const char* fig, double v,
                        const char* unit) {
  printf("RESULT %s %s %.6g %s\n", w, fig, v, unit);
  fflush(stdout);
}

inline unsigned long peer_arg(int argc, char** argv, int i,
                              unsigned long def) {
  return argc > i ? strtoul(argv[i], nullptr, 10) : def;
}
