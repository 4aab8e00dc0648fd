// W2 for CAF 0.17: two actors pass a ball (an integer k) back and forth,
// each sending k - 1 to the other while k > 0; the main thread serves
// k = 2 * rounds - 1 and waits for the actor that gets 0 to tell it.
// usage: caf_w2 [rounds]      (default 1,000,000)
#include "caf/all.hpp"
#include "caf_common.hpp"

using namespace caf;

namespace {

struct player_state {
  actor other;
};

behavior player(stateful_actor<player_state>* self, actor done) {
  return {
    [=](const actor& other) { self->state.other = other; },
    [=](uint64_t k) {
      if (k > 0)
        self->send(self->state.other, k - 1);
      else
        self->send(done, true);
    },
  };
}

} // namespace

int main(int argc, char** argv) {
  uint64_t rounds = peer_arg(argc, argv, 1, 1000000);
  actor_system_config cfg;
  actor_system sys{cfg};
  scoped_actor main_actor{sys};
  auto a = sys.spawn(player, actor{main_actor});
  auto b = sys.spawn(player, actor{main_actor});
  main_actor->send(a, b);
  main_actor->send(b, a);
  double t0 = peer_now();
  main_actor->send(a, uint64_t{2 * rounds - 1});
  main_actor->receive([](bool) {});
  double dt = peer_now() - t0;
  printf("# caf_w2: %llu round trips, %.3f s\n",
         (unsigned long long)rounds, dt);
  peer_result("W2", "caf_round_trips_per_s", double(rounds) / dt,
              "round trips/s");
  anon_send_exit(a, exit_reason::user_shutdown);
  anon_send_exit(b, exit_reason::user_shutdown);
  return 0;
}
