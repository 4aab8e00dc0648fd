#!/usr/bin/env escript
%% W1 for Erlang/OTP: one sender process sends N events {Port, Cargo} to
%% one consumer process, which adds the cargo to its sum and, having
%% counted N, sends the sum to the main process. Timed with
%% erlang:monotonic_time from spawning the sender to receiving the sum.
%% Compiled (-mode(compile)), default schedulers (one per core).
%% usage: w1.escript [events]      (default 10,000,000)
-mode(compile).

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 10000000 end,
    Main = self(),
    C = spawn(fun() -> consume(N, 0, Main) end),
    T0 = erlang:monotonic_time(nanosecond),
    spawn(fun() -> send(C, N) end),
    Sum = receive {sum, S} -> S end,
    Dt = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    Sum = 42 * N,
    io:format("# erlang w1: ~b events, ~.3f s, OTP ~s~n",
              [N, Dt, erlang:system_info(otp_release)]),
    io:format("RESULT W1 erlang_events_per_s ~.6e events/s~n", [N / Dt]).

send(_C, 0) -> ok;
send(C, K) -> C ! {<<"Malmo">>, 42}, send(C, K - 1).

consume(0, Sum, Main) -> Main ! {sum, Sum};
consume(K, Sum, Main) ->
    receive {_Port, Cargo} -> consume(K - 1, Sum + Cargo, Main) end.
