-------------------------------- MODULE Pool --------------------------------
(***************************************************************************)
(* rpool's pool as its callers see it, every change one atomic step.       *)
(*                                                                         *)
(* A get() takes an idle resource (Get), or, finding none, takes spare     *)
(* capacity to grow by (Grow); a release() takes the resource from its    *)
(* guard (Release) and, after its reset, makes it idle (Put) or discards  *)
(* it (Retire).  Capacity is conserved while the pool is open: it moves   *)
(* between spare, reserved (`making`), and live resources, and is only    *)
(* dropped once the pool is closed.  The order of idle resources (LIFO) is *)
(* not part of this spec: `idle` is a set.                                 *)
(*                                                                         *)
(* FreeList refines this spec (FreeList.tla, Refinement): each of its     *)
(* steps is one of these actions, or changes none of these variables.     *)
(***************************************************************************)
EXTENDS Integers, FiniteSets

CONSTANTS
    Clients,      \* the callers
    Bounded,      \* the pool has a maximum (Static, or AutoScale with one)
    InitIdle,     \* the resources the constructor made
    InitSpare     \* the spare capacity the constructor laid out

VARIABLES
    idle,     \* resources ready to be handed out
    spare,    \* spare capacity: units a get() may grow by
    held,     \* held[c]: the resources in c's guards
    busy,     \* resources inside calls (being reset, put back, discarded) or orphaned
    making,   \* capacity reserved for resources not yet made (or being given back)
    closed    \* close() has been called

vars == <<idle, spare, held, busy, making, closed>>

Held == UNION {held[c] : c \in Clients}
Live == idle \cup busy \cup Held

Init ==
    /\ idle = InitIdle
    /\ spare = InitSpare
    /\ held = [c \in Clients |-> {}]
    /\ busy = {}
    /\ making = 0
    /\ closed = FALSE

(* One resource r moves from set `from` to set `to`.                       *)
Moves(r, from, to) == from' = from \ {r} /\ to' = to \cup {r}

(* get(): the linearization point.  An idle resource, if there is one.     *)
Get(c) ==
    \E r \in idle :
        /\ idle' = idle \ {r}
        /\ held' = [held EXCEPT ![c] = @ \cup {r}]
        /\ UNCHANGED <<spare, busy, making, closed>>

(* get() with no idle resource takes k units of spare capacity to grow by; *)
(* an unbounded pool always has them.                                      *)
Grow(c) ==
    /\ Bounded => idle = {}
    /\ making' > making
    /\ Bounded => spare' = spare - (making' - making) /\ spare' >= 0
    /\ ~Bounded => spare' = spare
    /\ UNCHANGED <<idle, held, busy, closed>>

(* A reserved unit becomes a new resource: in a call (to be put back) or   *)
(* in c's guard (the growing get()'s own).                                 *)
Make(c) ==
    /\ making > 0
    /\ making' = making - 1
    /\ \/ \E r \in busy' \ Live : busy' = busy \cup {r} /\ UNCHANGED held
       \/ \E r \in held'[c] \ Live :
            held' = [held EXCEPT ![c] = @ \cup {r}] /\ UNCHANGED busy
    /\ UNCHANGED <<idle, spare, closed>>

(* A resource becomes idle: a release()'s linearization point.            *)
Put == \E r \in busy : Moves(r, busy, idle) /\ UNCHANGED <<spare, held, making, closed>>

(* release() claims a guard's resource; or the guard is garbage-collected. *)
Release(c) ==
    \E r \in held[c] :
        /\ held' = [held EXCEPT ![c] = @ \ {r}]
        /\ busy' = busy \cup {r}
        /\ UNCHANGED <<idle, spare, making, closed>>

(* A resource that failed its reset is discarded; in a bounded pool its   *)
(* unit is reserved again, for a replacement or to be given back.         *)
Retire ==
    \E r \in busy :
        /\ busy' = busy \ {r}
        /\ making' = IF Bounded THEN making + 1 ELSE making
        /\ UNCHANGED <<idle, spare, held, closed>>

(* Reserved units given back as spare capacity (a failed new(), a retired *)
(* resource under AutoScale); an unbounded pool keeps no spare.           *)
Return ==
    /\ making' < making
    /\ spare' = IF Bounded THEN spare + (making - making') ELSE spare
    /\ UNCHANGED <<idle, held, busy, closed>>

Close == closed' = TRUE /\ UNCHANGED <<idle, spare, held, busy, making>>

(* Only a closed pool drops capacity: it discards resources (idle ones    *)
(* first taken from idle) and forgets spare and reserved units.           *)
Drain == closed /\ \E r \in idle : Moves(r, idle, busy) /\ UNCHANGED <<spare, held, making, closed>>
Discard ==
    /\ closed
    /\ \E r \in busy : busy' = busy \ {r}
    /\ UNCHANGED <<idle, spare, held, making, closed>>
Drop ==
    /\ closed
    /\ spare' <= spare /\ making' <= making
    /\ <<spare', making'>> # <<spare, making>>
    /\ UNCHANGED <<idle, held, busy, closed>>

Next ==
    \/ \E c \in Clients : Get(c) \/ Grow(c) \/ Make(c) \/ Release(c)
    \/ Put \/ Retire \/ Return \/ Close \/ Drain \/ Discard \/ Drop

Spec == Init /\ [][Next]_vars
=============================================================================
