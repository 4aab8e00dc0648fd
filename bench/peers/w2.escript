#!/usr/bin/env escript
%% W2 for Erlang/OTP: two processes pass a ball K back and forth, each
%% sending K - 1 to the other while K > 0; the one that gets 0 tells the
%% main process. Serve K = 2 * Rounds - 1.
%% usage: w2.escript [rounds]      (default 1,000,000)
-mode(compile).

main(Args) ->
    R = case Args of [A | _] -> list_to_integer(A); [] -> 1000000 end,
    Main = self(),
    P1 = spawn(fun() -> player(Main) end),
    P2 = spawn(fun() -> player(Main) end),
    P1 ! {other, P2},
    P2 ! {other, P1},
    T0 = erlang:monotonic_time(nanosecond),
    P1 ! {ball, 2 * R - 1},
    receive done -> ok end,
    Dt = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    io:format("# erlang w2: ~b round trips, ~.3f s~n", [R, Dt]),
    io:format("RESULT W2 erlang_round_trips_per_s ~.6e round trips/s~n",
              [R / Dt]).

player(Main) -> receive {other, O} -> play(O, Main) end.

play(O, Main) ->
    receive
        {ball, 0} -> Main ! done, play(O, Main);
        {ball, K} -> O ! {ball, K - 1}, play(O, Main);
        stop -> ok
    end.
