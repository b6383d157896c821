----------------------------- MODULE Lifecycle -----------------------------
(***************************************************************************)
(* Max lifetime and idle eviction (src/rpool/_lifecycle.py), at the code's *)
(* atomic granularity: each label is one atomic call of the code, or one   *)
(* user callback (new(), close()).  docs/design.md, "Lifecycle", is the    *)
(* algorithm; docs/models.md maps every label to its line of code.         *)
(*                                                                         *)
(* The free list is a sequence: spare units (0, one grant of one unit      *)
(* each) at the left, idle resources (their ids, 1, 2, ...) at the right.  *)
(* Clients get() and release; a get() may find the resource of the guard  *)
(* it made expired (the clock is abstracted away: any resource may be     *)
(* found expired, so every deadline and every jitter is covered), takes it *)
(* back, discards it and makes a fresh one with the unit (check_out); a  *)
(* failed check on borrow is the same step (any resource may fail it).  A  *)
(* sweeper evicts: it pops like a get() and discards what it popped, and   *)
(* gives the unit back as a grant (Lifecycle.sweep), whenever it decides   *)
(* to (idle time abstracted likewise; the floor is a read of its own).     *)
(*                                                                         *)
(* Checked: CapacityBound, Accounting, Exclusive, NeverDiscardHeld and the *)
(* wait-free bound of get() (at most four of its own steps).              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,    \* the processes calling get() and release()
    Sweepers,   \* the processes running sweep steps (calls' own, maintain())
    Maximum,    \* the capacity bound (Static count or AutoScale maximum)
    Initial,    \* resources the constructor made; the eviction floor
    MaxIds,     \* bound on resources ever created (the MC bound)
    Mutant      \* "none", or the planted bug to check TLC rejects

ASSUME Initial \in 0..Maximum /\ Clients \cap Sweepers = {}

Grant == 0          \* one spare unit in the free list
None == -1          \* a local that holds nothing

(* --algorithm Lifecycle {
variables
    \* the free list: grants (0) then idle resources (ids)
    free = [i \in 1..Maximum |-> IF i <= Maximum - Initial THEN Grant ELSE i - (Maximum - Initial)];
    \* resources created and not discarded
    alive = 1..Initial;
    \* resources discarded (history variable)
    discarded = {};
    \* the next id new() gives
    nextId = Initial + 1;
    \* what each process took out of shared state: None, a unit (Grant) or a resource
    held = [p \in Clients \cup Sweepers |-> None];
    \* resources handed out to each client (its guard)
    guard = [c \in Clients |-> None];
    \* steps of each client's current get() (wait-free bound)
    steps = [c \in Clients |-> 0];

define {
    Range(s) == {s[i] : i \in DOMAIN s}
    Units == Len(SelectSeq(free, LAMBDA x : x = Grant))
    InFlightUnits == Cardinality({p \in DOMAIN held : held[p] = Grant})
    Idle == Range(free) \ {Grant}
    Guarded == {guard[c] : c \in Clients} \ {None}
    Taken == {held[p] : p \in DOMAIN held} \ {None, Grant}

    TypeOK ==
        /\ \A i \in DOMAIN free : free[i] \in {Grant} \cup alive
        /\ alive \subseteq 1..MaxIds
        /\ \A p \in DOMAIN held : held[p] \in {None, Grant} \cup alive \cup discarded

    \* grants, then resources: pop() finds a grant only when nothing is idle
    Shape == \A i, j \in DOMAIN free : i < j /\ free[j] = Grant => free[i] = Grant

    \* capacity alive or in flight never exceeds the bound
    CapacityBound == Cardinality(alive) + InFlightUnits <= Maximum

    \* every unit is in exactly one place: spare, in flight, or a live resource
    Accounting == Units + InFlightUnits + Cardinality(alive) = Maximum

    \* no resource in two places
    Exclusive ==
        /\ \A i, j \in DOMAIN free : i # j /\ free[i] # Grant => free[i] # free[j]
        /\ \A c, d \in Clients : c # d /\ guard[c] # None => guard[c] # guard[d]
        /\ Guarded \cap Idle = {} /\ Taken \cap Idle = {} /\ Taken \cap Guarded = {}
        /\ \A p, q \in DOMAIN held : p # q /\ held[p] \notin {None, Grant} => held[p] # held[q]

    \* never discard a held resource (nor an idle one still in the free list)
    NeverDiscardHeld == discarded \cap (Guarded \cup Idle) = {}

    \* get() finishes within four of its own steps: pop, create (a grant),
    \* discard and create (an expired resource); no loop
    WaitFree == \A c \in Clients : steps[c] <= 4
}

macro Discard(p) {
    \* Model: Discard (close() is called; the resource leaves alive, its unit stays)
    alive := alive \ {held[p]};
    discarded := discarded \cup {held[p]};
    held[p] := Grant;
}

fair process (client \in Clients) {
loop:
    while (TRUE) {
        steps[self] := 0;
TakeFree:   \* get(): held = [free.pop()]
        if (free = <<>>) {
            goto loop;  \* Miss
        } else {
            held[self] := free[Len(free)];
            free := SubSeq(free, 1, Len(free) - 1);
            steps[self] := steps[self] + 1;
        };
Create:     \* _grow: held[0] = self._create(), for a grant popped
        if (held[self] = Grant) {
            await nextId <= MaxIds;
            alive := alive \cup {nextId};
            held[self] := nextId;
            nextId := nextId + 1;
            steps[self] := steps[self] + 1;
        };
Hold:       \* PoolGuard(self, held): the resource leaves held for the guard
        guard[self] := held[self];
        held[self] := None;
Check:      \* Lifecycle.check_out: the resource may be expired or fail its check
        either { goto Release }   \* not expired: the caller has it
        or {                        \* Model: Claim, from the fresh guard
            held[self] := guard[self];
            guard[self] := None;
        };
Expire:     \* Lifecycle._discard: close() it; the unit stays in held
        Discard(self);
        steps[self] := steps[self] + 1;
Renew:      \* _grow(held): the unit becomes a fresh resource for the caller
        await nextId <= MaxIds;
        alive := alive \cup {nextId};
        held[self] := nextId;
        nextId := nextId + 1;
        steps[self] := steps[self] + 1;
Rehold:
        guard[self] := held[self];
        held[self] := None;
Release:    \* release(): Claim, Reset, PutIdle (free.append)
        free := Append(free, guard[self]);
        guard[self] := None;
    }
}

fair process (sweeper \in Sweepers) {
sweep:
    while (TRUE) {
CheckFloor: \* created - discarded > floor (and the cold end idle long enough)
        await Cardinality(alive) > Initial;
Take:       \* held = [free.pop()], by the sweeper
        if (Mutant = "EvictHeld" /\ Guarded # {}) {
            \* the bug: discard a resource found among those handed out
            with (r \in Guarded) {
                alive := alive \ {r};
                discarded := discarded \cup {r};
            };
            held[self] := Grant;
        } else if (free = <<>>) {
            goto sweep;
        } else {
            held[self] := free[Len(free)];
            free := SubSeq(free, 1, Len(free) - 1);
        };
Evict:      \* Lifecycle._discard: close() the resource, its unit stays in held
        if (held[self] # Grant) {
            Discard(self);
        };
ReturnGrant: \* Pool._return_capacity: free.appendleft(units), then ring
        if (Mutant = "ShrinkNoReturn") {
            held[self] := None;
        } else {
            free := <<Grant>> \o free;
            held[self] := None;
        }
    }
}
} *)
\* BEGIN TRANSLATION
VARIABLES pc, free, alive, discarded, nextId, held, guard, steps

(* define statement *)
Range(s) == {s[i] : i \in DOMAIN s}
Units == Len(SelectSeq(free, LAMBDA x : x = Grant))
InFlightUnits == Cardinality({p \in DOMAIN held : held[p] = Grant})
Idle == Range(free) \ {Grant}
Guarded == {guard[c] : c \in Clients} \ {None}
Taken == {held[p] : p \in DOMAIN held} \ {None, Grant}

TypeOK ==
    /\ \A i \in DOMAIN free : free[i] \in {Grant} \cup alive
    /\ alive \subseteq 1..MaxIds
    /\ \A p \in DOMAIN held : held[p] \in {None, Grant} \cup alive \cup discarded


Shape == \A i, j \in DOMAIN free : i < j /\ free[j] = Grant => free[i] = Grant


CapacityBound == Cardinality(alive) + InFlightUnits <= Maximum


Accounting == Units + InFlightUnits + Cardinality(alive) = Maximum


Exclusive ==
    /\ \A i, j \in DOMAIN free : i # j /\ free[i] # Grant => free[i] # free[j]
    /\ \A c, d \in Clients : c # d /\ guard[c] # None => guard[c] # guard[d]
    /\ Guarded \cap Idle = {} /\ Taken \cap Idle = {} /\ Taken \cap Guarded = {}
    /\ \A p, q \in DOMAIN held : p # q /\ held[p] \notin {None, Grant} => held[p] # held[q]


NeverDiscardHeld == discarded \cap (Guarded \cup Idle) = {}



WaitFree == \A c \in Clients : steps[c] <= 4


vars == << pc, free, alive, discarded, nextId, held, guard, steps >>

ProcSet == (Clients) \cup (Sweepers)

Init == (* Global variables *)
        /\ free = [i \in 1..Maximum |-> IF i <= Maximum - Initial THEN Grant ELSE i - (Maximum - Initial)]
        /\ alive = 1..Initial
        /\ discarded = {}
        /\ nextId = Initial + 1
        /\ held = [p \in Clients \cup Sweepers |-> None]
        /\ guard = [c \in Clients |-> None]
        /\ steps = [c \in Clients |-> 0]
        /\ pc = [self \in ProcSet |-> CASE self \in Clients -> "loop"
                                        [] self \in Sweepers -> "sweep"]

loop(self) == /\ pc[self] = "loop"
              /\ steps' = [steps EXCEPT ![self] = 0]
              /\ pc' = [pc EXCEPT ![self] = "TakeFree"]
              /\ UNCHANGED << free, alive, discarded, nextId, held, guard >>

TakeFree(self) == /\ pc[self] = "TakeFree"
                  /\ IF free = <<>>
                        THEN /\ pc' = [pc EXCEPT ![self] = "loop"]
                             /\ UNCHANGED << free, held, steps >>
                        ELSE /\ held' = [held EXCEPT ![self] = free[Len(free)]]
                             /\ free' = SubSeq(free, 1, Len(free) - 1)
                             /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
                             /\ pc' = [pc EXCEPT ![self] = "Create"]
                  /\ UNCHANGED << alive, discarded, nextId, guard >>

Create(self) == /\ pc[self] = "Create"
                /\ IF held[self] = Grant
                      THEN /\ nextId <= MaxIds
                           /\ alive' = (alive \cup {nextId})
                           /\ held' = [held EXCEPT ![self] = nextId]
                           /\ nextId' = nextId + 1
                           /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
                      ELSE /\ TRUE
                           /\ UNCHANGED << alive, nextId, held, steps >>
                /\ pc' = [pc EXCEPT ![self] = "Hold"]
                /\ UNCHANGED << free, discarded, guard >>

Hold(self) == /\ pc[self] = "Hold"
              /\ guard' = [guard EXCEPT ![self] = held[self]]
              /\ held' = [held EXCEPT ![self] = None]
              /\ pc' = [pc EXCEPT ![self] = "Check"]
              /\ UNCHANGED << free, alive, discarded, nextId, steps >>

Check(self) == /\ pc[self] = "Check"
               /\ \/ /\ pc' = [pc EXCEPT ![self] = "Release"]
                     /\ UNCHANGED <<held, guard>>
                  \/ /\ held' = [held EXCEPT ![self] = guard[self]]
                     /\ guard' = [guard EXCEPT ![self] = None]
                     /\ pc' = [pc EXCEPT ![self] = "Expire"]
               /\ UNCHANGED << free, alive, discarded, nextId, steps >>

Expire(self) == /\ pc[self] = "Expire"
                /\ alive' = alive \ {held[self]}
                /\ discarded' = (discarded \cup {held[self]})
                /\ held' = [held EXCEPT ![self] = Grant]
                /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
                /\ pc' = [pc EXCEPT ![self] = "Renew"]
                /\ UNCHANGED << free, nextId, guard >>

Renew(self) == /\ pc[self] = "Renew"
               /\ nextId <= MaxIds
               /\ alive' = (alive \cup {nextId})
               /\ held' = [held EXCEPT ![self] = nextId]
               /\ nextId' = nextId + 1
               /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
               /\ pc' = [pc EXCEPT ![self] = "Rehold"]
               /\ UNCHANGED << free, discarded, guard >>

Rehold(self) == /\ pc[self] = "Rehold"
                /\ guard' = [guard EXCEPT ![self] = held[self]]
                /\ held' = [held EXCEPT ![self] = None]
                /\ pc' = [pc EXCEPT ![self] = "Release"]
                /\ UNCHANGED << free, alive, discarded, nextId, steps >>

Release(self) == /\ pc[self] = "Release"
                 /\ free' = Append(free, guard[self])
                 /\ guard' = [guard EXCEPT ![self] = None]
                 /\ pc' = [pc EXCEPT ![self] = "loop"]
                 /\ UNCHANGED << alive, discarded, nextId, held, steps >>

client(self) == loop(self) \/ TakeFree(self) \/ Create(self) \/ Hold(self)
                   \/ Check(self) \/ Expire(self) \/ Renew(self)
                   \/ Rehold(self) \/ Release(self)

sweep(self) == /\ pc[self] = "sweep"
               /\ pc' = [pc EXCEPT ![self] = "CheckFloor"]
               /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                               steps >>

CheckFloor(self) == /\ pc[self] = "CheckFloor"
                    /\ Cardinality(alive) > Initial
                    /\ pc' = [pc EXCEPT ![self] = "Take"]
                    /\ UNCHANGED << free, alive, discarded, nextId, held, 
                                    guard, steps >>

Take(self) == /\ pc[self] = "Take"
              /\ IF Mutant = "EvictHeld" /\ Guarded # {}
                    THEN /\ \E r \in Guarded:
                              /\ alive' = alive \ {r}
                              /\ discarded' = (discarded \cup {r})
                         /\ held' = [held EXCEPT ![self] = Grant]
                         /\ pc' = [pc EXCEPT ![self] = "Evict"]
                         /\ free' = free
                    ELSE /\ IF free = <<>>
                               THEN /\ pc' = [pc EXCEPT ![self] = "sweep"]
                                    /\ UNCHANGED << free, held >>
                               ELSE /\ held' = [held EXCEPT ![self] = free[Len(free)]]
                                    /\ free' = SubSeq(free, 1, Len(free) - 1)
                                    /\ pc' = [pc EXCEPT ![self] = "Evict"]
                         /\ UNCHANGED << alive, discarded >>
              /\ UNCHANGED << nextId, guard, steps >>

Evict(self) == /\ pc[self] = "Evict"
               /\ IF held[self] # Grant
                     THEN /\ alive' = alive \ {held[self]}
                          /\ discarded' = (discarded \cup {held[self]})
                          /\ held' = [held EXCEPT ![self] = Grant]
                     ELSE /\ TRUE
                          /\ UNCHANGED << alive, discarded, held >>
               /\ pc' = [pc EXCEPT ![self] = "ReturnGrant"]
               /\ UNCHANGED << free, nextId, guard, steps >>

ReturnGrant(self) == /\ pc[self] = "ReturnGrant"
                     /\ IF Mutant = "ShrinkNoReturn"
                           THEN /\ held' = [held EXCEPT ![self] = None]
                                /\ free' = free
                           ELSE /\ free' = <<Grant>> \o free
                                /\ held' = [held EXCEPT ![self] = None]
                     /\ pc' = [pc EXCEPT ![self] = "sweep"]
                     /\ UNCHANGED << alive, discarded, nextId, guard, steps >>

sweeper(self) == sweep(self) \/ CheckFloor(self) \/ Take(self)
                    \/ Evict(self) \/ ReturnGrant(self)

Next == (\E self \in Clients: client(self))
           \/ (\E self \in Sweepers: sweeper(self))

Spec == /\ Init /\ [][Next]_vars
        /\ \A self \in Clients : WF_vars(client(self))
        /\ \A self \in Sweepers : WF_vars(sweeper(self))

\* END TRANSLATION

=============================================================================
