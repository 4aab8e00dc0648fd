// W3 for CAF 0.17: `agents` actors (default 100,000), spawned up front
// (CAF has no create-on-first-message, so the spawns are inside the timed
// part, as hindsight's creations are), each sent `per` events (default
// 10) round-robin from the main thread with anon_send. An actor that has
// its per-th event counts down a shared counter; the last one wakes the
// main thread. Bytes per idle actor: (RSS once all are done - RSS before
// the first spawn) / agents.
// usage: caf_w3 [agents [per]]
#include "caf/all.hpp"
#include "caf_common.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

using namespace caf;

namespace {

struct latch {
  std::atomic<uint64_t> left;
  std::mutex mu;
  std::condition_variable cv;
  void count_down() {
    if (left.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> g{mu};
      cv.notify_all();
    }
  }
  void wait() {
    std::unique_lock<std::mutex> g{mu};
    cv.wait(g, [&] { return left.load() == 0; });
  }
};

struct ship_state {
  int64_t cargo = 0;
  uint64_t seen = 0;
};

behavior ship(stateful_actor<ship_state>* self, uint64_t per, latch* l) {
  return {
    [=](const std::string& port, int64_t cargo) {
      (void)port;
      self->state.cargo += cargo;
      if (++self->state.seen == per)
        l->count_down();
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  uint64_t agents = peer_arg(argc, argv, 1, 100000);
  uint64_t per = peer_arg(argc, argv, 2, 10);
  actor_system_config cfg;
  actor_system sys{cfg};
  latch l;
  l.left = agents;
  std::vector<actor> ships;
  ships.reserve(agents);
  const std::string port = "Malmo";
  size_t rss0 = peer_rss_now();
  double t0 = peer_now();
  for (uint64_t a = 0; a < agents; ++a)
    ships.push_back(sys.spawn(ship, per, &l));
  for (uint64_t r = 0; r < per; ++r)
    for (auto& s : ships)
      anon_send(s, port, int64_t{42});
  l.wait();
  double dt = peer_now() - t0;
  size_t rss1 = peer_rss_now();
  printf("# caf_w3: %llu actors x %llu events, %.3f s; RSS before %.1f MB, "
         "after %.1f MB\n",
         (unsigned long long)agents, (unsigned long long)per, dt,
         rss0 / 1e6, rss1 / 1e6);
  peer_result("W3", "caf_events_per_s", double(agents * per) / dt,
              "events/s");
  peer_result("W3", "caf_bytes_per_idle_agent",
              (double(rss1) - double(rss0)) / double(agents), "B");
  for (auto& s : ships)
    anon_send_exit(s, exit_reason::user_shutdown);
  return 0;
}
