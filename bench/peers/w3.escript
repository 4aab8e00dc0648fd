#!/usr/bin/env escript
%% W3 for Erlang/OTP: Agents processes (default 100,000), spawned inside
%% the timed part (as hindsight creates agents on their first event), each
%% sent Per events (default 10) round-robin from the main process; a
%% process that has its Per-th event tells the main process, which waits
%% for all. Bytes per idle process: (RSS of the VM once all are done - RSS
%% before the spawns) / Agents, RSS from /proc/self/statm.
%% usage: w3.escript [agents [per]]
-mode(compile).

main(Args) ->
    {N, Per} = case Args of
                   [A, P | _] -> {list_to_integer(A), list_to_integer(P)};
                   [A] -> {list_to_integer(A), 10};
                   [] -> {100000, 10}
               end,
    Main = self(),
    Rss0 = rss(),
    T0 = erlang:monotonic_time(nanosecond),
    Pids = [spawn(fun() -> ship(Per, 0, Main) end) || _ <- lists:seq(1, N)],
    rounds(Per, Pids),
    wait(N),
    Dt = (erlang:monotonic_time(nanosecond) - T0) / 1.0e9,
    Rss1 = rss(),
    io:format("# erlang w3: ~b processes x ~b events, ~.3f s; RSS before "
              "~.1f MB, after ~.1f MB~n",
              [N, Per, Dt, Rss0 / 1.0e6, Rss1 / 1.0e6]),
    io:format("RESULT W3 erlang_events_per_s ~.6e events/s~n",
              [N * Per / Dt]),
    io:format("RESULT W3 erlang_bytes_per_idle_agent ~.6e B~n",
              [(Rss1 - Rss0) / N]).

rounds(0, _) -> ok;
rounds(K, Pids) ->
    lists:foreach(fun(P) -> P ! {<<"Malmo">>, 42} end, Pids),
    rounds(K - 1, Pids).

wait(0) -> ok;
wait(K) -> receive done -> wait(K - 1) end.

ship(0, _Cargo, Main) ->
    Main ! done,
    receive stop -> ok end;
ship(K, Cargo, Main) ->
    receive {_Port, C} -> ship(K - 1, Cargo + C, Main) end.

rss() ->
    {ok, B} = file:read_file("/proc/self/statm"),
    [_, R | _] = string:lexemes(binary_to_list(B), " \n"),
    list_to_integer(R) * 4096.
