--------------------------- MODULE TraceFreeList ---------------------------
(***************************************************************************)
(* Trace validation: TLC checks that logs of the real pool, taken under    *)
(* the deterministic scheduler (tests/conformance/trace.py), are           *)
(* behaviours of FreeList, step for step.                                  *)
(*                                                                         *)
(* The log is an ndjson file named by the environment variable TRACE.      *)
(* Each line is one atomic step of one run:                                *)
(*   run     which run of the file the line belongs to (1, 2, ...)         *)
(*   line    its position in that run; line 1 is the pool as constructed  *)
(*   p       the process: 0 the collector, 1.. the clients                 *)
(*   action  the model label the step carries (the scheduling point's name)*)
(*   op      the operation itself (free.pop, closed.read, ...)             *)
(*   free, orphans, closed, held   the observed variables after the step   *)
(*   call    on Idle lines: the call picked (get, release, close)          *)
(* The other variables (pc, stack, live, making, hands, raised, the        *)
(* procedures' locals and the history variables) are not observed: TLC     *)
(* finds values for them that make the log a behaviour, or reports the     *)
(* first line for which none exist.                                        *)
(*                                                                         *)
(* Where code steps and model steps do not line up one to one:             *)
(*                                                                         *)
(*   log                      model                                        *)
(*   action   op                                                           *)
(*   -------- -------------   -------------------------------------------- *)
(*   Idle     call            Idle (the harness's point before each call)  *)
(*   TakeFree free.len        TakeFree if it saw free empty; else nothing: *)
(*                            the pop that follows is the TakeFree         *)
(*   TakeFree free.pop        TakeFree                                     *)
(*   CheckClosed closed.read  CheckClosed, or CheckClosed_empty, _slow,    *)
(*                            _put, _drain, _return, _retire or _adopt,    *)
(*                            as pc says; or nothing: where the code reads *)
(*                            _closed again and the model merges the read  *)
(*                            (_return_capacity after a discard in a       *)
(*                            closed pool, a closed Static pool's _retire) *)
(*   Create   created.next    Create, or Replace in a Static _retire: the  *)
(*            failed.next     counter recording how new() ended; the       *)
(*                            caller takes the new resource in that step,  *)
(*                            as in the model's.  The point at the start   *)
(*                            of new() is not logged (trace.py)            *)
(*   TakeOrphan orphans.len   PeekOrphans (get()'s `or self._orphans`), or *)
(*                            TakeOrphan if it saw none; else nothing      *)
(*   TakeOrphan orphans.pop   TakeOrphan or TakeOrphan_close               *)
(*   DrainFree free.popleft   DrainFree                                    *)
(*   Miss     misses.next     Miss                                         *)
(*   Orphan   orphans.iadd    Orphan, logged as process 0 whichever thread *)
(*            in __del__      ran the finalizer (the line's "thread" names *)
(*                            it: on 3.13t it is the guard's maker)        *)
(*   (none)                   Create after a drain raised, TakeOrphan      *)
(*                            after a reset or drain raised,               *)
(*                            CheckClosed_retire of AutoScale, Reserve:    *)
(*                            the code does nothing there that the         *)
(*                            scheduler sees, so these model steps are     *)
(*                            taken unlogged, before the next logged step  *)
(*                            of the same process                          *)
(* Every other action is logged under its own name: Claim, Reset,          *)
(* PutIdle, ReturnGrant, Discard, DrainFree, SetClosed.                    *)
(***************************************************************************)
EXTENDS FreeList, TraceRuns

tvars == <<vars, run, l>>

(* The observed variables equal the line's, now (Sees) or after (Saw).    *)
Sees(line) ==
    /\ free = line.free
    /\ orphans = line.orphans
    /\ closed = line.closed
    /\ \A c \in Clients : held[c] = Range(line.held[c])

Saw(line) ==
    /\ free' = line.free
    /\ orphans' = line.orphans
    /\ closed' = line.closed
    /\ \A c \in Clients : held'[c] = Range(line.held[c])

(* A step of process p at a label logged as action a.                     *)
Does(p, a) ==
    \/ a = "Orphan" /\ p = Collector /\ Orphan
    \/ p \in Clients /\
        \/ a = "Idle" /\ Idle(p)
        \/ a = "TakeFree" /\ TakeFree(p)
        \/ a = "CheckClosed" /\
            \/ CheckClosed(p) \/ CheckClosed_empty(p) \/ CheckClosed_slow(p)
            \/ CheckClosed_put(p) \/ CheckClosed_drain(p) \/ CheckClosed_return(p)
            \/ CheckClosed_retire(p) \/ CheckClosed_adopt(p)
        \/ a = "Miss" /\ Miss(p)
        \/ a = "Create" /\ (Create(p) \/ Replace(p))
        \/ a = "Claim" /\ Claim(p)
        \/ a = "TakeOrphan" /\ (TakeOrphan(p) \/ TakeOrphan_close(p) \/ PeekOrphans(p))
        \/ a = "SetClosed" /\ SetClosed(p)
        \/ a = "Discard" /\ Discard(p)
        \/ a = "ReturnGrant" /\ ReturnGrant(p)
        \/ a = "DrainFree" /\ DrainFree(p)
        \/ a = "PutIdle" /\ PutIdle(p)
        \/ a = "Reset" /\ Reset(p)

(* Reads that the model folds into a neighbouring step (see the table).   *)
Reads == {"free.len", "orphans.len", "closed.read"}

(* The model steps the code takes without a scheduling point (the table's *)
(* last row).  They change no observed variable.                          *)
Unlogged(p) ==
    /\ p \in Clients
    /\ \/ raised[p] /\ Create(p)
       \/ raised[p] /\ TakeOrphan(p)
       \/ ~Static /\ CheckClosed_retire(p)
       \/ ~Bounded /\ Reserve(p)
    /\ UNCHANGED <<free, orphans, closed, held>>

TraceInit ==
    /\ run \in 1..RunCount
    /\ l = 2
    /\ Init
    /\ Sees(Log[run][1])

TraceNext ==
    /\ l <= Len(Log[run])
    /\ UNCHANGED run
    /\ LET line == Log[run][l] IN
        \/ /\ Unlogged(line.p)
           /\ UNCHANGED l
        \/ /\ \/ line.op \in Reads /\ UNCHANGED vars
              \/ Does(line.p, line.action)
           /\ "call" \in DOMAIN line => op'[line.p] = line.call
           /\ Saw(line)
           /\ l' = l + 1

TraceSpec == TraceInit /\ [][TraceNext]_tvars

(* Acceptance: TraceRuns (Furthest, TraceAccepted).                      *)
=============================================================================
