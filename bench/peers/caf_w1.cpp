// W1 for CAF 0.17: one sender actor sends N events (port, cargo) to one
// consumer actor, whose state adds the cargo. Timed from spawning the
// sender until the consumer, having counted N, reports its sum to the
// main thread's scoped_actor. Default scheduler (threads = cores).
// usage: caf_w1 [events]      (default 10,000,000)
#include "caf/all.hpp"
#include "caf_common.hpp"

#include <string>

using namespace caf;

namespace {

struct consumer_state {
  int64_t sum = 0;
  uint64_t seen = 0;
};

behavior consumer(stateful_actor<consumer_state>* self, uint64_t n,
                  actor done) {
  return {
    [=](const std::string& port, int64_t cargo) {
      (void)port;
      self->state.sum += cargo;
      if (++self->state.seen == n)
        self->send(done, self->state.sum);
    },
  };
}

void sender(event_based_actor* self, actor to, uint64_t n) {
  const std::string port = "Malmo";
  for (uint64_t i = 0; i < n; ++i)
    self->send(to, port, int64_t{42});
}

} // namespace

int main(int argc, char** argv) {
  uint64_t n = peer_arg(argc, argv, 1, 10000000);
  actor_system_config cfg;
  actor_system sys{cfg};
  scoped_actor main_actor{sys};
  auto c = sys.spawn(consumer, n, actor{main_actor});
  double t0 = peer_now();
  sys.spawn(sender, c, n);
  int64_t sum = 0;
  main_actor->receive([&](int64_t s) { sum = s; });
  double dt = peer_now() - t0;
  if (sum != int64_t(42 * n)) {
    fprintf(stderr, "caf_w1: sum %lld\n", (long long)sum);
    return 1;
  }
  printf("# caf_w1: %llu events, %.3f s, %zu scheduler threads\n",
         (unsigned long long)n, dt, sys.scheduler().num_workers());
  peer_result("W1", "caf_events_per_s", double(n) / dt, "events/s");
  peer_result("W1", "caf_peak_rss", double(peer_rss_peak()), "bytes");
  anon_send_exit(c, exit_reason::user_shutdown);
  return 0;
}
