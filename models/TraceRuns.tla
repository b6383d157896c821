----------------------------- MODULE TraceRuns -----------------------------
(***************************************************************************)
(* What every trace spec shares (TraceFreeList, TraceWaiting,            *)
(* TraceLifecycle): reading the ndjson log named by the environment       *)
(* variable TRACE, its runs, the                                           *)
(* position reached in each, and the verdict.  A trace spec EXTENDS its    *)
(* model and this module, and defines TraceInit and TraceNext over         *)
(* `run` (the run being matched) and `l` (the next line of Log[run] to     *)
(* match); its configuration has CONSTRAINT Furthest and POSTCONDITION    *)
(* TraceAccepted (tests/conformance/tlc.py reads what TraceAccepted       *)
(* prints).                                                                *)
(***************************************************************************)
EXTENDS Naturals, Sequences, TLC, Json, IOUtils

Lines == ndJsonDeserialize(IOEnv.TRACE)

RunCount == LET runs == {Lines[i].run : i \in DOMAIN Lines} IN
            CHOOSE n \in runs : \A m \in runs : m <= n

(* Log[r]: the lines of run r, in order.                                   *)
Log == [r \in 1..RunCount |-> SelectSeq(Lines, LAMBDA line : line.run = r)]

VARIABLES
    run,   \* the run being matched
    l      \* the next line of Log[run] to match

(***************************************************************************)
(* Acceptance.  TLC register r holds the furthest line of run r that some  *)
(* behaviour reached (run TLC with -workers 1: registers are per worker). *)
(* Every run is accepted if that is one past its last line; otherwise the *)
(* register names the first line no action of the model explains.         *)
(***************************************************************************)
ASSUME \A r \in 1..RunCount : TLCSet(r, 1)

Furthest == TLCSet(run, IF l > TLCGet(run) THEN l ELSE TLCGet(run))

Rejected == {r \in 1..RunCount : TLCGet(r) <= Len(Log[r])}

TraceAccepted ==
    /\ \A r \in Rejected :
        PrintT(<<"Failed to match trace", r, "line", TLCGet(r), Log[r][TLCGet(r)]>>)
    /\ Rejected = {}
=============================================================================
