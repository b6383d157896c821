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
(* A release may find its resource expired too (ExpiringGuard.release):   *)
(* it discards it, and the unit goes on as Disposal._reuse passes it: to a *)
(* replacement made idle (Replaces: Static) or back through              *)
(* return_capacity, the procedure an eviction's unit takes too (AutoScale).*)
(*                                                                         *)
(* Checked: CapacityBound, Accounting, Exclusive, NeverDiscardHeld and the *)
(* wait-free bound of get() (at most four of its own steps).              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,    \* the processes calling get() and release()
    Sweepers,   \* the processes running sweep steps (calls' own, maintain(), the maintainer)
    Resizers,   \* the processes calling resize()
    Bounds,     \* the bounds a resize() may ask for (within 1..Maximum)
    Maximum,    \* the capacity bound the pool is made with, the greatest in Bounds
    Initial,    \* resources the constructor made; the eviction floor
    MaxIds,     \* bound on resources ever created (the MC bound)
    Replaces,   \* TRUE: Static, whose discarded resource is replaced (Disposal._reuse)
    Mutant      \* "none", or the planted bug to check TLC rejects

ASSUME Initial \in 0..Maximum /\ Bounds \subseteq 1..Maximum /\ Replaces \in BOOLEAN
ASSUME Clients \cap Sweepers = {} /\ Resizers \cap (Clients \cup Sweepers) = {}

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
    held = [p \in Clients \cup Sweepers \cup Resizers |-> None];
    \* resources handed out to each client (its guard)
    guard = [c \in Clients |-> None];
    \* steps of each client's current get() (wait-free bound)
    steps = [c \in Clients |-> 0];
    \* the pool's _maximum: the bound a resize() set last
    bound = Maximum;
    \* units still to retire after a lowering (Lifecycle.debt's tokens)
    debt = 0;
    \* tokens each process has taken from debt and not yet used or put back
    tokens = [p \in Sweepers \cup Resizers |-> 0];
    \* a resize()'s target and the units it has still to add or cancel
    target = [r \in Resizers |-> Maximum];
    extra = [r \in Resizers |-> 0];
    \* Lifecycle.resizing: the one token a resize() or a debt payment holds
    \* (None: someone holds it); without it, a raise could miss a token in
    \* flight and add units the payment then also retires too late
    mutex = 0;

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
        /\ bound \in 1..Maximum /\ debt \in 0..Maximum

    \* grants, then resources: pop() finds a grant only when nothing is idle
    Shape == \A i, j \in DOMAIN free : i < j /\ free[j] = Grant => free[i] = Grant

    \* the sum of a function's values (tokens held, units a raise still owes)
    Sum(f) == LET F[Q \in SUBSET DOMAIN f] ==
                  IF Q = {} THEN 0 ELSE LET x == CHOOSE y \in Q : TRUE IN f[x] + F[Q \ {x}]
              IN F[DOMAIN f]
    \* the bound in force: after a lowering, the old bound until the debt is
    \* paid (a raise moves the bound one backed unit at a time)
    InForce == bound + debt + Sum(tokens)

    \* capacity alive or in flight never exceeds the bound in force
    CapacityBound == Cardinality(alive) + InFlightUnits <= InForce

    \* every unit is in exactly one place: spare, in flight, or a live resource
    Accounting == Units + InFlightUnits + Cardinality(alive) = InForce

    \* no unit beyond the greatest bound asked for, spare ones included: a
    \* raise after a lowering cancels the debt instead of adding to it
    NoOvershoot == Units + InFlightUnits + Cardinality(alive) <= Maximum

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

procedure return_capacity() {
ReturnGrant: \* Core._return_capacity: `if lifecycle.debt` (a read), then retire() or the append
        if (Mutant = "ShrinkNoReturn") {
            held[self] := None;
            return;
        } else if (debt = 0) {
            goto Spare;
        };
RetireLock: \* _resize.retire: paying.pop(); taken: return False, the unit goes back spare
        if (mutex # 0) {
            goto Spare;
        } else {
            mutex := None;
        };
RetireTake: \* tokens += _popped(debt), _retire_one, paying += lock: the unit leaves
            \* with its token (nothing between them reads or writes what others see)
        if (debt > 0) {
            debt := debt - 1;
            held[self] := None;
            mutex := 0;
            return;
        };
RetireUnlock: \* no debt left: return False, paying += lock; then the append
        mutex := 0;
Spare:      \* free.appendleft(held[-1]), held.pop(): the unit is spare
        free := <<Grant>> \o free;
        held[self] := None;
        return;
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
Release:    \* release(): Claim, Reset, CheckExpired, then PutIdle (free.append)
        either {
            free := Append(free, guard[self]);
            guard[self] := None;
        } or {      \* the lifetime has passed: Claim, then expire(): Lifecycle._discard
            \* as Expire's (close(); the unit stays in held), one step: nobody else
            \* can reach the claimed resource in between
            alive := alive \ {guard[self]};
            discarded := discarded \cup {guard[self]};
            held[self] := Grant;
            guard[self] := None;
            if (Replaces) {
Replace:        \* Disposal._reuse, Static: held[-1] = self._create()
                await nextId <= MaxIds;
                alive := alive \cup {nextId};
                held[self] := nextId;
                nextId := nextId + 1;
PutBack:        \* _put_idle(held): free += (held.pop(),)
                free := Append(free, held[self]);
                held[self] := None;
            } else {  \* Disposal._reuse, AutoScale: _return_capacity(held)
                call return_capacity();
            }
        }
    }
}

fair process (sweeper \in Sweepers) {
sweep:
    while (TRUE) {
        either {
Pay:        \* _resize.pay: resizing.pop() (else skip), then tokens.append(debt.pop())
            await debt > 0 /\ (mutex = 0 \/ Mutant = "PayWithoutToken");
            mutex := None;
            debt := debt - 1;
            tokens[self] := tokens[self] + 1;
PayTake:    \* held += _popped(free, left=True): the cold end
            if (free = <<>>) {
                goto PayBack;
            } else {
                held[self] := Head(free);
                free := Tail(free);
            };
PayEvict:   \* an idle resource is discarded; its unit stays in held
            if (held[self] # Grant) {
                Discard(self);
            };
Retire:     \* _retire_one: the unit and its token leave together; paying += lock
            held[self] := None;
            tokens[self] := tokens[self] - 1;
            mutex := 0;
            goto sweep;
PayBack:    \* nothing popped: debt.extend(tokens), a step after the popleft; paying += lock
            debt := debt + tokens[self];
            tokens[self] := 0;
            mutex := 0;
            goto sweep;
        } or { skip };
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
        call return_capacity();  \* Core._return_capacity(held)
    }
}

process (resizer \in Resizers) {
resize:
    while (TRUE) {
        with (b \in Bounds) { target[self] := b };
Lock:       \* resizing.pop(): one resize, and no debt payment, at a time
        await mutex = 0;
        mutex := None;
Apply:      \* Lower: debt += tokens, then _maximum = bound; Raise: _maximum = bound first
        if (target[self] < bound) {
            debt := debt + (bound - target[self]);
            bound := target[self];
            mutex := 0;
            goto resize;
        } else if (target[self] > bound) {
            extra[self] := target[self] - bound;
        } else {
            mutex := 0;
            goto resize;
        };
Cancel:     \* _maximum += len(_popped(debt)): a unit of debt becomes a unit of the bound
        while (extra[self] > 0 /\ debt > 0 /\ Mutant # "ResizeOvershoot") {
            debt := debt - 1;
            bound := bound + 1;
            extra[self] := extra[self] - 1;
        };
Grow:       \* free.appendleft(units) and _maximum += units, one statement; then a ring
        while (extra[self] > 0) {
            free := <<Grant>> \o free;
            bound := bound + 1;
            extra[self] := extra[self] - 1;
        };
Unlock:     \* resizing.append(token)
        mutex := 0;
    }
}
} *)
\* BEGIN TRANSLATION
VARIABLES pc, free, alive, discarded, nextId, held, guard, steps, bound, debt, 
          tokens, target, extra, mutex, stack

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
    /\ bound \in 1..Maximum /\ debt \in 0..Maximum


Shape == \A i, j \in DOMAIN free : i < j /\ free[j] = Grant => free[i] = Grant


Sum(f) == LET F[Q \in SUBSET DOMAIN f] ==
              IF Q = {} THEN 0 ELSE LET x == CHOOSE y \in Q : TRUE IN f[x] + F[Q \ {x}]
          IN F[DOMAIN f]


InForce == bound + debt + Sum(tokens)


CapacityBound == Cardinality(alive) + InFlightUnits <= InForce


Accounting == Units + InFlightUnits + Cardinality(alive) = InForce



NoOvershoot == Units + InFlightUnits + Cardinality(alive) <= Maximum


Exclusive ==
    /\ \A i, j \in DOMAIN free : i # j /\ free[i] # Grant => free[i] # free[j]
    /\ \A c, d \in Clients : c # d /\ guard[c] # None => guard[c] # guard[d]
    /\ Guarded \cap Idle = {} /\ Taken \cap Idle = {} /\ Taken \cap Guarded = {}
    /\ \A p, q \in DOMAIN held : p # q /\ held[p] \notin {None, Grant} => held[p] # held[q]


NeverDiscardHeld == discarded \cap (Guarded \cup Idle) = {}



WaitFree == \A c \in Clients : steps[c] <= 4


vars == << pc, free, alive, discarded, nextId, held, guard, steps, bound, 
           debt, tokens, target, extra, mutex, stack >>

ProcSet == (Clients) \cup (Sweepers) \cup (Resizers)

Init == (* Global variables *)
        /\ free = [i \in 1..Maximum |-> IF i <= Maximum - Initial THEN Grant ELSE i - (Maximum - Initial)]
        /\ alive = 1..Initial
        /\ discarded = {}
        /\ nextId = Initial + 1
        /\ held = [p \in Clients \cup Sweepers \cup Resizers |-> None]
        /\ guard = [c \in Clients |-> None]
        /\ steps = [c \in Clients |-> 0]
        /\ bound = Maximum
        /\ debt = 0
        /\ tokens = [p \in Sweepers \cup Resizers |-> 0]
        /\ target = [r \in Resizers |-> Maximum]
        /\ extra = [r \in Resizers |-> 0]
        /\ mutex = 0
        /\ stack = [self \in ProcSet |-> << >>]
        /\ pc = [self \in ProcSet |-> CASE self \in Clients -> "loop"
                                        [] self \in Sweepers -> "sweep"
                                        [] self \in Resizers -> "resize"]

ReturnGrant(self) == /\ pc[self] = "ReturnGrant"
                     /\ IF Mutant = "ShrinkNoReturn"
                           THEN /\ held' = [held EXCEPT ![self] = None]
                                /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                           ELSE /\ IF debt = 0
                                      THEN /\ pc' = [pc EXCEPT ![self] = "Spare"]
                                      ELSE /\ pc' = [pc EXCEPT ![self] = "RetireLock"]
                                /\ UNCHANGED << held, stack >>
                     /\ UNCHANGED << free, alive, discarded, nextId, guard, 
                                     steps, bound, debt, tokens, target, extra, 
                                     mutex >>

RetireLock(self) == /\ pc[self] = "RetireLock"
                    /\ IF mutex # 0
                          THEN /\ pc' = [pc EXCEPT ![self] = "Spare"]
                               /\ mutex' = mutex
                          ELSE /\ mutex' = None
                               /\ pc' = [pc EXCEPT ![self] = "RetireTake"]
                    /\ UNCHANGED << free, alive, discarded, nextId, held, 
                                    guard, steps, bound, debt, tokens, target, 
                                    extra, stack >>

RetireTake(self) == /\ pc[self] = "RetireTake"
                    /\ IF debt > 0
                          THEN /\ debt' = debt - 1
                               /\ held' = [held EXCEPT ![self] = None]
                               /\ mutex' = 0
                               /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                               /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                          ELSE /\ pc' = [pc EXCEPT ![self] = "RetireUnlock"]
                               /\ UNCHANGED << held, debt, mutex, stack >>
                    /\ UNCHANGED << free, alive, discarded, nextId, guard, 
                                    steps, bound, tokens, target, extra >>

RetireUnlock(self) == /\ pc[self] = "RetireUnlock"
                      /\ mutex' = 0
                      /\ pc' = [pc EXCEPT ![self] = "Spare"]
                      /\ UNCHANGED << free, alive, discarded, nextId, held, 
                                      guard, steps, bound, debt, tokens, 
                                      target, extra, stack >>

Spare(self) == /\ pc[self] = "Spare"
               /\ free' = <<Grant>> \o free
               /\ held' = [held EXCEPT ![self] = None]
               /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
               /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
               /\ UNCHANGED << alive, discarded, nextId, guard, steps, bound, 
                               debt, tokens, target, extra, mutex >>

return_capacity(self) == ReturnGrant(self) \/ RetireLock(self)
                            \/ RetireTake(self) \/ RetireUnlock(self)
                            \/ Spare(self)

loop(self) == /\ pc[self] = "loop"
              /\ steps' = [steps EXCEPT ![self] = 0]
              /\ pc' = [pc EXCEPT ![self] = "TakeFree"]
              /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                              bound, debt, tokens, target, extra, mutex, stack >>

TakeFree(self) == /\ pc[self] = "TakeFree"
                  /\ IF free = <<>>
                        THEN /\ pc' = [pc EXCEPT ![self] = "loop"]
                             /\ UNCHANGED << free, held, steps >>
                        ELSE /\ held' = [held EXCEPT ![self] = free[Len(free)]]
                             /\ free' = SubSeq(free, 1, Len(free) - 1)
                             /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
                             /\ pc' = [pc EXCEPT ![self] = "Create"]
                  /\ UNCHANGED << alive, discarded, nextId, guard, bound, debt, 
                                  tokens, target, extra, mutex, stack >>

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
                /\ UNCHANGED << free, discarded, guard, bound, debt, tokens, 
                                target, extra, mutex, stack >>

Hold(self) == /\ pc[self] = "Hold"
              /\ guard' = [guard EXCEPT ![self] = held[self]]
              /\ held' = [held EXCEPT ![self] = None]
              /\ pc' = [pc EXCEPT ![self] = "Check"]
              /\ UNCHANGED << free, alive, discarded, nextId, steps, bound, 
                              debt, tokens, target, extra, mutex, stack >>

Check(self) == /\ pc[self] = "Check"
               /\ \/ /\ pc' = [pc EXCEPT ![self] = "Release"]
                     /\ UNCHANGED <<held, guard>>
                  \/ /\ held' = [held EXCEPT ![self] = guard[self]]
                     /\ guard' = [guard EXCEPT ![self] = None]
                     /\ pc' = [pc EXCEPT ![self] = "Expire"]
               /\ UNCHANGED << free, alive, discarded, nextId, steps, bound, 
                               debt, tokens, target, extra, mutex, stack >>

Expire(self) == /\ pc[self] = "Expire"
                /\ alive' = alive \ {held[self]}
                /\ discarded' = (discarded \cup {held[self]})
                /\ held' = [held EXCEPT ![self] = Grant]
                /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
                /\ pc' = [pc EXCEPT ![self] = "Renew"]
                /\ UNCHANGED << free, nextId, guard, bound, debt, tokens, 
                                target, extra, mutex, stack >>

Renew(self) == /\ pc[self] = "Renew"
               /\ nextId <= MaxIds
               /\ alive' = (alive \cup {nextId})
               /\ held' = [held EXCEPT ![self] = nextId]
               /\ nextId' = nextId + 1
               /\ steps' = [steps EXCEPT ![self] = steps[self] + 1]
               /\ pc' = [pc EXCEPT ![self] = "Rehold"]
               /\ UNCHANGED << free, discarded, guard, bound, debt, tokens, 
                               target, extra, mutex, stack >>

Rehold(self) == /\ pc[self] = "Rehold"
                /\ guard' = [guard EXCEPT ![self] = held[self]]
                /\ held' = [held EXCEPT ![self] = None]
                /\ pc' = [pc EXCEPT ![self] = "Release"]
                /\ UNCHANGED << free, alive, discarded, nextId, steps, bound, 
                                debt, tokens, target, extra, mutex, stack >>

Release(self) == /\ pc[self] = "Release"
                 /\ \/ /\ free' = Append(free, guard[self])
                       /\ guard' = [guard EXCEPT ![self] = None]
                       /\ pc' = [pc EXCEPT ![self] = "loop"]
                       /\ UNCHANGED <<alive, discarded, held, stack>>
                    \/ /\ alive' = alive \ {guard[self]}
                       /\ discarded' = (discarded \cup {guard[self]})
                       /\ held' = [held EXCEPT ![self] = Grant]
                       /\ guard' = [guard EXCEPT ![self] = None]
                       /\ IF Replaces
                             THEN /\ pc' = [pc EXCEPT ![self] = "Replace"]
                                  /\ stack' = stack
                             ELSE /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                           pc        |->  "loop" ] >>
                                                                       \o stack[self]]
                                  /\ pc' = [pc EXCEPT ![self] = "ReturnGrant"]
                       /\ free' = free
                 /\ UNCHANGED << nextId, steps, bound, debt, tokens, target, 
                                 extra, mutex >>

Replace(self) == /\ pc[self] = "Replace"
                 /\ nextId <= MaxIds
                 /\ alive' = (alive \cup {nextId})
                 /\ held' = [held EXCEPT ![self] = nextId]
                 /\ nextId' = nextId + 1
                 /\ pc' = [pc EXCEPT ![self] = "PutBack"]
                 /\ UNCHANGED << free, discarded, guard, steps, bound, debt, 
                                 tokens, target, extra, mutex, stack >>

PutBack(self) == /\ pc[self] = "PutBack"
                 /\ free' = Append(free, held[self])
                 /\ held' = [held EXCEPT ![self] = None]
                 /\ pc' = [pc EXCEPT ![self] = "loop"]
                 /\ UNCHANGED << alive, discarded, nextId, guard, steps, bound, 
                                 debt, tokens, target, extra, mutex, stack >>

client(self) == loop(self) \/ TakeFree(self) \/ Create(self) \/ Hold(self)
                   \/ Check(self) \/ Expire(self) \/ Renew(self)
                   \/ Rehold(self) \/ Release(self) \/ Replace(self)
                   \/ PutBack(self)

sweep(self) == /\ pc[self] = "sweep"
               /\ \/ /\ pc' = [pc EXCEPT ![self] = "Pay"]
                  \/ /\ TRUE
                     /\ pc' = [pc EXCEPT ![self] = "CheckFloor"]
               /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                               steps, bound, debt, tokens, target, extra, 
                               mutex, stack >>

CheckFloor(self) == /\ pc[self] = "CheckFloor"
                    /\ Cardinality(alive) > Initial
                    /\ pc' = [pc EXCEPT ![self] = "Take"]
                    /\ UNCHANGED << free, alive, discarded, nextId, held, 
                                    guard, steps, bound, debt, tokens, target, 
                                    extra, mutex, stack >>

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
              /\ UNCHANGED << nextId, guard, steps, bound, debt, tokens, 
                              target, extra, mutex, stack >>

Evict(self) == /\ pc[self] = "Evict"
               /\ IF held[self] # Grant
                     THEN /\ alive' = alive \ {held[self]}
                          /\ discarded' = (discarded \cup {held[self]})
                          /\ held' = [held EXCEPT ![self] = Grant]
                     ELSE /\ TRUE
                          /\ UNCHANGED << alive, discarded, held >>
               /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                        pc        |->  "sweep" ] >>
                                                    \o stack[self]]
               /\ pc' = [pc EXCEPT ![self] = "ReturnGrant"]
               /\ UNCHANGED << free, nextId, guard, steps, bound, debt, tokens, 
                               target, extra, mutex >>

Pay(self) == /\ pc[self] = "Pay"
             /\ debt > 0 /\ (mutex = 0 \/ Mutant = "PayWithoutToken")
             /\ mutex' = None
             /\ debt' = debt - 1
             /\ tokens' = [tokens EXCEPT ![self] = tokens[self] + 1]
             /\ pc' = [pc EXCEPT ![self] = "PayTake"]
             /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                             steps, bound, target, extra, stack >>

PayTake(self) == /\ pc[self] = "PayTake"
                 /\ IF free = <<>>
                       THEN /\ pc' = [pc EXCEPT ![self] = "PayBack"]
                            /\ UNCHANGED << free, held >>
                       ELSE /\ held' = [held EXCEPT ![self] = Head(free)]
                            /\ free' = Tail(free)
                            /\ pc' = [pc EXCEPT ![self] = "PayEvict"]
                 /\ UNCHANGED << alive, discarded, nextId, guard, steps, bound, 
                                 debt, tokens, target, extra, mutex, stack >>

PayEvict(self) == /\ pc[self] = "PayEvict"
                  /\ IF held[self] # Grant
                        THEN /\ alive' = alive \ {held[self]}
                             /\ discarded' = (discarded \cup {held[self]})
                             /\ held' = [held EXCEPT ![self] = Grant]
                        ELSE /\ TRUE
                             /\ UNCHANGED << alive, discarded, held >>
                  /\ pc' = [pc EXCEPT ![self] = "Retire"]
                  /\ UNCHANGED << free, nextId, guard, steps, bound, debt, 
                                  tokens, target, extra, mutex, stack >>

Retire(self) == /\ pc[self] = "Retire"
                /\ held' = [held EXCEPT ![self] = None]
                /\ tokens' = [tokens EXCEPT ![self] = tokens[self] - 1]
                /\ mutex' = 0
                /\ pc' = [pc EXCEPT ![self] = "sweep"]
                /\ UNCHANGED << free, alive, discarded, nextId, guard, steps, 
                                bound, debt, target, extra, stack >>

PayBack(self) == /\ pc[self] = "PayBack"
                 /\ debt' = debt + tokens[self]
                 /\ tokens' = [tokens EXCEPT ![self] = 0]
                 /\ mutex' = 0
                 /\ pc' = [pc EXCEPT ![self] = "sweep"]
                 /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                                 steps, bound, target, extra, stack >>

sweeper(self) == sweep(self) \/ CheckFloor(self) \/ Take(self)
                    \/ Evict(self) \/ Pay(self) \/ PayTake(self)
                    \/ PayEvict(self) \/ Retire(self) \/ PayBack(self)

resize(self) == /\ pc[self] = "resize"
                /\ \E b \in Bounds:
                     target' = [target EXCEPT ![self] = b]
                /\ pc' = [pc EXCEPT ![self] = "Lock"]
                /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                                steps, bound, debt, tokens, extra, mutex, 
                                stack >>

Lock(self) == /\ pc[self] = "Lock"
              /\ mutex = 0
              /\ mutex' = None
              /\ pc' = [pc EXCEPT ![self] = "Apply"]
              /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                              steps, bound, debt, tokens, target, extra, stack >>

Apply(self) == /\ pc[self] = "Apply"
               /\ IF target[self] < bound
                     THEN /\ debt' = debt + (bound - target[self])
                          /\ bound' = target[self]
                          /\ mutex' = 0
                          /\ pc' = [pc EXCEPT ![self] = "resize"]
                          /\ extra' = extra
                     ELSE /\ IF target[self] > bound
                                THEN /\ extra' = [extra EXCEPT ![self] = target[self] - bound]
                                     /\ pc' = [pc EXCEPT ![self] = "Cancel"]
                                     /\ mutex' = mutex
                                ELSE /\ mutex' = 0
                                     /\ pc' = [pc EXCEPT ![self] = "resize"]
                                     /\ extra' = extra
                          /\ UNCHANGED << bound, debt >>
               /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                               steps, tokens, target, stack >>

Cancel(self) == /\ pc[self] = "Cancel"
                /\ IF extra[self] > 0 /\ debt > 0 /\ Mutant # "ResizeOvershoot"
                      THEN /\ debt' = debt - 1
                           /\ bound' = bound + 1
                           /\ extra' = [extra EXCEPT ![self] = extra[self] - 1]
                           /\ pc' = [pc EXCEPT ![self] = "Cancel"]
                      ELSE /\ pc' = [pc EXCEPT ![self] = "Grow"]
                           /\ UNCHANGED << bound, debt, extra >>
                /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                                steps, tokens, target, mutex, stack >>

Grow(self) == /\ pc[self] = "Grow"
              /\ IF extra[self] > 0
                    THEN /\ free' = <<Grant>> \o free
                         /\ bound' = bound + 1
                         /\ extra' = [extra EXCEPT ![self] = extra[self] - 1]
                         /\ pc' = [pc EXCEPT ![self] = "Grow"]
                    ELSE /\ pc' = [pc EXCEPT ![self] = "Unlock"]
                         /\ UNCHANGED << free, bound, extra >>
              /\ UNCHANGED << alive, discarded, nextId, held, guard, steps, 
                              debt, tokens, target, mutex, stack >>

Unlock(self) == /\ pc[self] = "Unlock"
                /\ mutex' = 0
                /\ pc' = [pc EXCEPT ![self] = "resize"]
                /\ UNCHANGED << free, alive, discarded, nextId, held, guard, 
                                steps, bound, debt, tokens, target, extra, 
                                stack >>

resizer(self) == resize(self) \/ Lock(self) \/ Apply(self) \/ Cancel(self)
                    \/ Grow(self) \/ Unlock(self)

Next == (\E self \in ProcSet: return_capacity(self))
           \/ (\E self \in Clients: client(self))
           \/ (\E self \in Sweepers: sweeper(self))
           \/ (\E self \in Resizers: resizer(self))

Spec == /\ Init /\ [][Next]_vars
        /\ \A self \in Clients : WF_vars(client(self)) /\ WF_vars(return_capacity(self))
        /\ \A self \in Sweepers : WF_vars(sweeper(self)) /\ WF_vars(return_capacity(self))

\* END TRANSLATION

=============================================================================
