------------------------------ MODULE FreeList ------------------------------
(***************************************************************************)
(* rpool's free list and scaling, at the atomic granularity of the code in *)
(* src/rpool/ (_core.py, _disposal.py, _pool.py, _guard.py, _freelist.py,  *)
(* _scale.py).                                                             *)
(*                                                                         *)
(* One deque `free` holds spare capacity as grants at its left end and     *)
(* idle resources at its right end; `pop()` takes from the right, so one   *)
(* atomic pop decides between reuse, growth and "nothing left".  Every     *)
(* label below is one runtime-atomic operation of the code (a deque or     *)
(* list method, a read of `_closed`) or one call of user code (`new`,      *)
(* `reset`, a resource's `close`), named as the "# Model: X" comment on    *)
(* that line.  PlusCal needs unique labels, so where one action occurs in  *)
(* several functions the label is the action's name followed by the       *)
(* function's, e.g. CheckClosed_put is the CheckClosed of `_put_idle`.     *)
(* A few labels read or write no code variable the model has, only       *)
(* ghosts: Idle, Miss and Reserve (whose counter accesses are not          *)
(* modelled), and CheckClosed_retire under AutoScale.  They commute with   *)
(* every step of every other process.  docs/models.md maps each label to   *)
(* its lines and says what is abstracted away, and why that is sound.      *)
(*                                                                         *)
(* Recover, an exception landing at any label and the call's handler      *)
(* giving back what it held, follows the translation (InterruptibleSpec). *)
(*                                                                         *)
(* This module stays unbounded; MC*.tla add the bounds.                   *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,     \* the threads calling get(), release(), close(): numbers >= 1
    Closers,     \* the clients that may call close()
    Static,      \* TRUE: Static(count = Maximum); FALSE: AutoScale
    Bounded,     \* a Static pool, or an AutoScale pool with a maximum
    Maximum,     \* Static.count, or AutoScale.maximum when Bounded
    Initial,     \* AutoScale.initial (a Static pool starts with Maximum)
    ChunkSize,   \* AutoScale.chunk_size; 0 doubles
    NewFails,    \* the user's new() may raise
    ResetFails,  \* the user's reset() may return False (or raise)
    CloseFails,  \* a resource's close() may raise
    Orphaning,   \* guards may be garbage-collected while still holding
    Interrupts,  \* an exception may land between any two steps of a call
    Mutant       \* "none" for the code as it is; see the Mutant*.cfg files

ASSUME Clients \subseteq Nat \ {0} /\ Closers \subseteq Clients
ASSUME Static \in BOOLEAN /\ Bounded \in BOOLEAN /\ (Static => Bounded)
ASSUME Maximum \in Nat \ {0} /\ Initial \in Nat /\ ChunkSize \in Nat
ASSUME Bounded => Initial <= Maximum
(* An interruption that lands inside user code is that code raising.       *)
ASSUME Interrupts \in BOOLEAN /\ (Interrupts => NewFails /\ ResetFails /\ CloseFails)

(* The garbage collector runs guards' finalizers; it is process 0.         *)
Collector == 0

(***************************************************************************)
(* Items of the deque.  A resource is its identity, a positive number; a   *)
(* grant of n units is -n; None (an empty pop) is 0.  A discarded          *)
(* resource's number is reused for the next one created: nothing refers    *)
(* to a discarded resource (checked by Conserved), so reuse only keeps the *)
(* state space finite.                                                     *)
(***************************************************************************)
None == 0
Grant(n) == -n
IsGrant(i) == i < 0
IsRes(i) == i > 0
Size(g) == -g

Last(s) == s[Len(s)]
Front(s) == SubSeq(s, 1, Len(s) - 1)

Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b

(* AutoScale.growth(capacity): _scale.py.                                  *)
Growth(capacity) ==
    LET step == IF ChunkSize = 0 THEN Max(capacity, 1) ELSE ChunkSize
    IN IF Bounded THEN Min(step, Maximum - capacity) ELSE step

(* AutoScale.grants(): the growths from Initial up to Maximum.             *)
RECURSIVE GrantsFrom(_)
GrantsFrom(capacity) ==
    IF ~Bounded \/ capacity >= Maximum THEN <<>>
    ELSE <<Growth(capacity)>> \o GrantsFrom(capacity + Growth(capacity))

RECURSIVE Reverse(_)
Reverse(s) == IF s = <<>> THEN <<>> ELSE Reverse(Tail(s)) \o <<Head(s)>>

InitialCount == IF Static THEN Maximum ELSE Initial

(* Core._setup: the grants reversed (the first growth pops the rightmost   *)
(* one), then the initial resources.                                       *)
InitFree ==
    LET grants == IF Static \/ Mutant = "TwoStepReserve" THEN <<>>
                  ELSE Reverse(GrantsFrom(Initial))
    IN [i \in 1..Len(grants) |-> Grant(grants[i])]
       \o [i \in 1..InitialCount |-> i]

(* --algorithm FreeList {
variables
    free = InitFree,                  \* Core._free
    orphans = <<>>,                   \* Core._orphans: resources, and grants (units)
    closed = FALSE,                   \* Core._closed
    held = [c \in Clients |-> {}],    \* the resources in c's guards
    raised = [c \in Clients |-> FALSE], \* an exception is leaving c's call
    \* Ghost and history variables (nothing in the code reads them):
    live = 1..InitialCount,           \* resources created, not yet discarded
    making = 0,                       \* capacity units reserved, not yet created
                                      \* (in a call, or handed back to orphans)
    hands = [c \in Clients |-> {}],   \* resources inside c's current call
    failedNew = FALSE;                \* some unit went back unmade: a new()
                                      \* raised, or a call was interrupted

define {
    Resources(s) == {s[i] : i \in {j \in 1..Len(s) : IsRes(s[j])}}
    IdleCount == Cardinality({i \in 1..Len(free) : IsRes(free[i])})
    RECURSIVE SpareIn(_)
    SpareIn(s) == IF s = <<>> THEN 0
                  ELSE (IF IsGrant(Head(s)) THEN Size(Head(s)) ELSE 0) + SpareIn(Tail(s))
    Spare == SpareIn(free)
    \* Capacity counts in-flight creations: units reserved but not yet made.
    Capacity == Cardinality(live) + making
    \* Spare capacity as the accounting implies it, whether or not it is in free.
    Unreserved == IF Bounded THEN Maximum - Capacity ELSE 1
    Fresh == CHOOSE r \in 1..(Cardinality(live) + 1) : r \notin live
    \* Growth sizes an unbounded pool may choose: see docs/models.md, Reserve.
    GrowthChoices == IF ChunkSize = 0 THEN 1..Max(Capacity, 1) ELSE {ChunkSize}
    \* An empty pop means "grow": unbounded pools (and Mutant TwoStepReserve).
    GrowsOnEmpty == ~Bounded \/ Mutant = "TwoStepReserve"
}

\* Disposal._discard: Model: Discard.  The resource's close() may raise; the
\* exception then leaves the call (drain() collects it and raises at the
\* end).  `retiring`: the resource failed its reset in a bounded pool, so
\* its unit of capacity goes on to a replacement or back to spare: it is in
\* flight until then.  Otherwise (_abandon, in a closed pool) the unit is
\* dropped: _abandon's _return_capacity reads _closed again, sees it set (it
\* never goes back) and counts the unit as dropped, merged into this step.
procedure discard(gone, retiring) {
Discard:
    live := live \ {gone};
    hands[self] := hands[self] \ {gone};
    if (retiring) making := making + 1;
    either skip or { await CloseFails; raised[self] := TRUE };
    return;
}

\* Core._return_capacity of a bounded pool: read _closed, then appendleft.
procedure return_capacity(spare_units) {
CheckClosed_return:
    if (closed) { making := making - spare_units; return };  \* _drop
ReturnGrant:
    free := <<Grant(spare_units)>> \o free;
    making := making - spare_units;
    return;
}

\* Core._drain: popleft until empty, discarding resources, dropping grants
\* (_abandon of a grant: _return_capacity sees _closed set and drops).
procedure drain() {
DrainFree:
    if (free = <<>>) return
    else with (i = Head(free)) {
        free := Tail(free);
        if (IsRes(i)) {
            hands[self] := hands[self] \cup {i};
            call discard(i, FALSE);
            goto DrainFree
        } else goto DrainFree
    }
}

\* Core._put_idle, and its copies inlined in PoolGuard.release and
\* AsyncPoolGuard.release: read _closed and abandon the resource if set;
\* else append, read _closed, drain if set.
procedure put_idle(made) {
CheckClosed_put:
    if (closed) { call discard(made, FALSE); return };
PutIdle:
    free := Append(free, made);
    hands[self] := hands[self] \ {made};
CheckClosed_drain:
    if (closed /\ Mutant # "NoDrainOnPut") { call drain(); return }
    else return;
}

\* Disposal._give_back (inlined in PoolGuard.release): reset, then make
\* idle (_keep) or retire (_reject, _retire).  The adoption that follows a
\* release is the caller's (TakeOrphan).
procedure give_back(back) {
Reset:
    either {
        if (Mutant = "PutBeforeReset") {
            \* Mutant: the resource is visible in free while reset() runs.
            free := Append(free, back);
            goto ResetLate
        } else { call put_idle(back); return }
    } or {
        await ResetFails;
        \* reset() returned False (the call goes on to adopt an orphan), or
        \* raised or returned a non-bool (the exception leaves the call).
        either skip or raised[self] := TRUE;
        if (Bounded) { call discard(back, TRUE); goto CheckClosed_retire }
        else { call discard(back, FALSE); return }
    };
ResetLate:
    \* Mutant PutBeforeReset only: reset() finishes after the append.
    hands[self] := hands[self] \ {back};
    return;
CheckClosed_retire:
    \* Static: `self._replaces and not self._closed`.  AutoScale reads
    \* nothing here (a control step): _return_capacity reads _closed.  A
    \* closed Static pool's _return_capacity reads _closed again, sees it set
    \* and drops the unit: merged into this step.
    if (~Static) {
        if (Mutant = "LeakOnReset") { making := making - 1; return }
        else { call return_capacity(1); return }
    } else if (closed) { making := making - 1; return };
Replace:
    \* The replacement's new(); its capacity was the discarded resource's.
    either {
        with (r = Fresh) {
            live := live \cup {r};
            making := making - 1;
            hands[self] := hands[self] \cup {r};
            call put_idle(r);
            return
        }
    } or {
        await NewFails;
        failedNew := TRUE;
        raised[self] := TRUE;
        call return_capacity(1);
        return
    }
}

\* The garbage collector finalizes an unreachable guard: PoolGuard.__del__.
\* It may run between any two steps of any client, the guard's own included.
process (collector = Collector) {
Orphan:
    while (TRUE) {
        await Orphaning;
        with (c \in Clients, r \in held[c]) {
            held[c] := held[c] \ {r};
            orphans := Append(orphans, r)
        }
    }
}

fair process (client \in Clients)
variables
    op = "none",    \* the call in progress: "get", "release" or "close"
    units = 0,      \* _grow(): units reserved and not yet created
    retry = FALSE,  \* _get_slow(): the second pop, after adopting an orphan
    orphan = None,  \* _adopt_orphan(): the orphan taken
    late = FALSE,   \* ghost: this get() began after close() set the flag
    spareAtLP = 0;  \* ghost: idle + spare when get()'s TakeFree found free empty
{
Idle:
    raised[self] := FALSE;
    either { op := "get"; late := closed; goto CheckClosed }
    or { await held[self] # {}; op := "release"; goto Claim }
    or { await self \in Closers; op := "close"; goto SetClosed };

\* ---- get() and _get_slow() ---------------------------------------------
CheckClosed:
    \* A get() that reads "open" may be ordered before close(), whatever it
    \* pops next; one that reads "closed" raises PoolClosedError.
    if (closed /\ Mutant # "NoCheckClosed") { op := "none"; late := FALSE; goto Idle };
TakeFree:
    \* `free.pop() if free else None`: the len() read that saw the deque
    \* empty, or the pop; the linearization point of get().  A resource is
    \* handed out at once (the guard is made locally), a grant is grown.
    \* Mutant WaitForIdle: a blocking pool, whose get() waits for a resource.
    await Mutant # "WaitForIdle" \/ IdleCount > 0;
    raised[self] := FALSE;  \* an adopted orphan's error became a warning
    if (free = <<>>) { spareAtLP := IdleCount + Unreserved; goto CheckClosed_empty }
    else with (i = Last(free)) {
        free := Front(free);
        retry := FALSE;
        if (IsRes(i)) {
            held[self] := held[self] \cup {i};
            op := "none"; late := FALSE;
            goto Idle
        } else {
            units := Size(i);
            making := making + Size(i);
            goto Create
        }
    };
CheckClosed_empty:
    \* After an empty pop: get() line `if self._closed or ...`, or, after
    \* adopting an orphan, `if item is None and self._closed`.
    if (closed) { spareAtLP := 0; retry := FALSE; op := "none"; late := FALSE; goto Idle }
    else if (retry \/ Mutant = "RetryGrow") { if (GrowsOnEmpty) goto Reserve else goto Miss }
    else goto PeekOrphans;
PeekOrphans:
    \* get(): `... or self._orphans or self._maximum is None`.
    if (orphans = <<>> /\ ~GrowsOnEmpty) goto Miss;
CheckClosed_slow:
    \* _get_slow(None): `if self._closed: raise`.
    if (closed) { spareAtLP := 0; op := "none"; late := FALSE; goto Idle }
    else goto TakeOrphan;

Miss:
    \* next(self._misses); get() returns None.
    spareAtLP := 0; retry := FALSE; op := "none"; late := FALSE;
    goto Idle;

ReserveLate:
    \* Mutant TwoStepReserve only: reserve what an earlier step checked.
    units := ChunkSize;
    making := making + ChunkSize;
    goto Create;

Reserve:
    \* Unbounded pools: size the growth from the counters, reserve it.
    spareAtLP := 0; retry := FALSE;
    if (Mutant = "TwoStepReserve") {
        \* Mutant: the original's check of capacity against the maximum,
        \* with the reservation in a later step.
        if (Capacity >= Maximum) goto Miss else goto ReserveLate
    } else with (n \in GrowthChoices) {
        units := n;
        making := making + n
    };

\* ---- _grow(units) --------------------------------------------------------
Create:
    if (raised[self]) {
        \* A drain in _put_idle raised: the exception leaves _grow; the
        \* units not yet made are dropped (the pool is closed).
        making := making - units; units := 0; op := "none"; late := FALSE;
        goto Idle
    } else either {
        with (r = Fresh) {
            live := live \cup {r};
            making := making - 1;
            if (units > 1 \/ Mutant = "RetryGrow") {
                hands[self] := hands[self] \cup {r};
                units := units - 1;
                if (units = 0) {
                    \* Mutant RetryGrow: push even the caller's own, pop again.
                    call put_idle(r); goto TakeFree
                } else { call put_idle(r); goto Create }
            } else {
                \* The caller's own: nobody else can take it.
                held[self] := held[self] \cup {r};
                units := 0; op := "none"; late := FALSE;
                goto Idle
            }
        }
    } or {
        await NewFails;
        failedNew := TRUE;
        with (n = units) {
            units := 0; op := "none"; late := FALSE;
            if (Bounded /\ Mutant # "KeepReservation") {
                call return_capacity(n); goto Idle
            } else {
                \* Unbounded: no grant.  Mutant KeepReservation: none either.
                making := making - n; goto Idle
            }
        }
    };

\* ---- release() -----------------------------------------------------------
Claim:
    \* PoolGuard.release(): `self._box.pop()`.  The box is found empty only
    \* by a second release() of the same guard, which returns: the model
    \* lets the collector empty it in between to the same effect.
    if (held[self] = {}) { op := "none"; goto Idle }
    else with (r \in held[self]) {
        held[self] := held[self] \ {r};
        hands[self] := hands[self] \cup {r};
        call give_back(r);
        goto TakeOrphan
    };

\* ---- _adopt_orphan(), from _get_slow or from release --------------------
TakeOrphan:
    \* `self._orphans` (len) then `self._orphans.pop()`: the read that saw
    \* none, or the pop.  A release() whose reset or drain raised skips it.
    if (raised[self] \/ orphans = <<>>) {
        if (op = "get") { if (GrowsOnEmpty) goto Reserve else goto Miss }
        else { op := "none"; goto Idle }
    } else with (o = Last(orphans)) {
        \* An orphan is a resource, or units an interrupted call handed back
        \* (see Recover); the units, too, are held by this call until given back.
        orphan := o;
        orphans := Front(orphans);
        if (IsRes(o)) hands[self] := hands[self] \cup {o}
    };
CheckClosed_adopt:
    \* Errors of an adopted resource's reset() or close() become warnings.
    with (o = orphan) {
        orphan := None;
        if (IsGrant(o)) {
            \* Units: _return_capacity.  A closed pool drops them (_abandon's
            \* _return_capacity reads _closed again and sees it set: merged);
            \* an unbounded one counts them returned (no read); a bounded
            \* open one reads _closed again, then appends a grant.
            if (closed \/ ~Bounded) {
                making := making - Size(o);
                if (op = "get") { retry := TRUE; goto TakeFree }
                else { op := "none"; goto Idle }
            } else if (op = "get") {
                retry := TRUE; call return_capacity(Size(o)); goto TakeFree
            } else { op := "none"; call return_capacity(Size(o)); goto Idle }
        } else if (closed) {
            if (op = "get") { retry := TRUE; call discard(o, FALSE); goto TakeFree }
            else { op := "none"; call discard(o, FALSE); goto Idle }
        } else {
            if (op = "get") { retry := TRUE; call give_back(o); goto TakeFree }
            else { op := "none"; call give_back(o); goto Idle }
        }
    };

\* ---- close() -------------------------------------------------------------
SetClosed:
    closed := TRUE;
    call drain();
TakeOrphan_close:
    if (orphans = <<>>) { op := "none"; goto Idle }
    else with (o = Last(orphans)) {
        orphans := Front(orphans);
        if (IsGrant(o)) {
            \* Units an interrupted call handed back: _abandon drops them
            \* (the pop and the drop statement, merged: in between they
            \* are this call's, and an interruption puts them back).
            making := making - Size(o);
            goto TakeOrphan_close
        } else {
            hands[self] := hands[self] \cup {o};
            call discard(o, FALSE);
            goto TakeOrphan_close
        }
    }
}
} *)
\* BEGIN TRANSLATION
CONSTANT defaultInitValue
VARIABLES pc, free, orphans, closed, held, raised, live, making, hands, 
          failedNew, stack

(* define statement *)
Resources(s) == {s[i] : i \in {j \in 1..Len(s) : IsRes(s[j])}}
IdleCount == Cardinality({i \in 1..Len(free) : IsRes(free[i])})
RECURSIVE SpareIn(_)
SpareIn(s) == IF s = <<>> THEN 0
              ELSE (IF IsGrant(Head(s)) THEN Size(Head(s)) ELSE 0) + SpareIn(Tail(s))
Spare == SpareIn(free)

Capacity == Cardinality(live) + making

Unreserved == IF Bounded THEN Maximum - Capacity ELSE 1
Fresh == CHOOSE r \in 1..(Cardinality(live) + 1) : r \notin live

GrowthChoices == IF ChunkSize = 0 THEN 1..Max(Capacity, 1) ELSE {ChunkSize}

GrowsOnEmpty == ~Bounded \/ Mutant = "TwoStepReserve"

VARIABLES gone, retiring, spare_units, made, back, op, units, retry, orphan, 
          late, spareAtLP

vars == << pc, free, orphans, closed, held, raised, live, making, hands, 
           failedNew, stack, gone, retiring, spare_units, made, back, op, 
           units, retry, orphan, late, spareAtLP >>

ProcSet == {Collector} \cup (Clients)

Init == (* Global variables *)
        /\ free = InitFree
        /\ orphans = <<>>
        /\ closed = FALSE
        /\ held = [c \in Clients |-> {}]
        /\ raised = [c \in Clients |-> FALSE]
        /\ live = 1..InitialCount
        /\ making = 0
        /\ hands = [c \in Clients |-> {}]
        /\ failedNew = FALSE
        (* Procedure discard *)
        /\ gone = [ self \in ProcSet |-> defaultInitValue]
        /\ retiring = [ self \in ProcSet |-> defaultInitValue]
        (* Procedure return_capacity *)
        /\ spare_units = [ self \in ProcSet |-> defaultInitValue]
        (* Procedure put_idle *)
        /\ made = [ self \in ProcSet |-> defaultInitValue]
        (* Procedure give_back *)
        /\ back = [ self \in ProcSet |-> defaultInitValue]
        (* Process client *)
        /\ op = [self \in Clients |-> "none"]
        /\ units = [self \in Clients |-> 0]
        /\ retry = [self \in Clients |-> FALSE]
        /\ orphan = [self \in Clients |-> None]
        /\ late = [self \in Clients |-> FALSE]
        /\ spareAtLP = [self \in Clients |-> 0]
        /\ stack = [self \in ProcSet |-> << >>]
        /\ pc = [self \in ProcSet |-> CASE self = Collector -> "Orphan"
                                        [] self \in Clients -> "Idle"]

Discard(self) == /\ pc[self] = "Discard"
                 /\ live' = live \ {gone[self]}
                 /\ hands' = [hands EXCEPT ![self] = hands[self] \ {gone[self]}]
                 /\ IF retiring[self]
                       THEN /\ making' = making + 1
                       ELSE /\ TRUE
                            /\ UNCHANGED making
                 /\ \/ /\ TRUE
                       /\ UNCHANGED raised
                    \/ /\ CloseFails
                       /\ raised' = [raised EXCEPT ![self] = TRUE]
                 /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                 /\ gone' = [gone EXCEPT ![self] = Head(stack[self]).gone]
                 /\ retiring' = [retiring EXCEPT ![self] = Head(stack[self]).retiring]
                 /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                 /\ UNCHANGED << free, orphans, closed, held, failedNew, 
                                 spare_units, made, back, op, units, retry, 
                                 orphan, late, spareAtLP >>

discard(self) == Discard(self)

CheckClosed_return(self) == /\ pc[self] = "CheckClosed_return"
                            /\ IF closed
                                  THEN /\ making' = making - spare_units[self]
                                       /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                       /\ spare_units' = [spare_units EXCEPT ![self] = Head(stack[self]).spare_units]
                                       /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                  ELSE /\ pc' = [pc EXCEPT ![self] = "ReturnGrant"]
                                       /\ UNCHANGED << making, stack, 
                                                       spare_units >>
                            /\ UNCHANGED << free, orphans, closed, held, 
                                            raised, live, hands, failedNew, 
                                            gone, retiring, made, back, op, 
                                            units, retry, orphan, late, 
                                            spareAtLP >>

ReturnGrant(self) == /\ pc[self] = "ReturnGrant"
                     /\ free' = <<Grant(spare_units[self])>> \o free
                     /\ making' = making - spare_units[self]
                     /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                     /\ spare_units' = [spare_units EXCEPT ![self] = Head(stack[self]).spare_units]
                     /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                     /\ UNCHANGED << orphans, closed, held, raised, live, 
                                     hands, failedNew, gone, retiring, made, 
                                     back, op, units, retry, orphan, late, 
                                     spareAtLP >>

return_capacity(self) == CheckClosed_return(self) \/ ReturnGrant(self)

DrainFree(self) == /\ pc[self] = "DrainFree"
                   /\ IF free = <<>>
                         THEN /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                              /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                              /\ UNCHANGED << free, hands, gone, retiring >>
                         ELSE /\ LET i == Head(free) IN
                                   /\ free' = Tail(free)
                                   /\ IF IsRes(i)
                                         THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {i}]
                                              /\ /\ gone' = [gone EXCEPT ![self] = i]
                                                 /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                                 /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                                          pc        |->  "DrainFree",
                                                                                          gone      |->  gone[self],
                                                                                          retiring  |->  retiring[self] ] >>
                                                                                      \o stack[self]]
                                              /\ pc' = [pc EXCEPT ![self] = "Discard"]
                                         ELSE /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                                              /\ UNCHANGED << hands, stack, 
                                                              gone, retiring >>
                   /\ UNCHANGED << orphans, closed, held, raised, live, making, 
                                   failedNew, spare_units, made, back, op, 
                                   units, retry, orphan, late, spareAtLP >>

drain(self) == DrainFree(self)

CheckClosed_put(self) == /\ pc[self] = "CheckClosed_put"
                         /\ IF closed
                               THEN /\ /\ gone' = [gone EXCEPT ![self] = made[self]]
                                       /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                       /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                                pc        |->  Head(stack[self]).pc,
                                                                                gone      |->  gone[self],
                                                                                retiring  |->  retiring[self] ] >>
                                                                            \o Tail(stack[self])]
                                    /\ pc' = [pc EXCEPT ![self] = "Discard"]
                               ELSE /\ pc' = [pc EXCEPT ![self] = "PutIdle"]
                                    /\ UNCHANGED << stack, gone, retiring >>
                         /\ UNCHANGED << free, orphans, closed, held, raised, 
                                         live, making, hands, failedNew, 
                                         spare_units, made, back, op, units, 
                                         retry, orphan, late, spareAtLP >>

PutIdle(self) == /\ pc[self] = "PutIdle"
                 /\ free' = Append(free, made[self])
                 /\ hands' = [hands EXCEPT ![self] = hands[self] \ {made[self]}]
                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_drain"]
                 /\ UNCHANGED << orphans, closed, held, raised, live, making, 
                                 failedNew, stack, gone, retiring, spare_units, 
                                 made, back, op, units, retry, orphan, late, 
                                 spareAtLP >>

CheckClosed_drain(self) == /\ pc[self] = "CheckClosed_drain"
                           /\ IF closed /\ Mutant # "NoDrainOnPut"
                                 THEN /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "drain",
                                                                               pc        |->  Head(stack[self]).pc ] >>
                                                                           \o Tail(stack[self])]
                                      /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                                      /\ made' = made
                                 ELSE /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                      /\ made' = [made EXCEPT ![self] = Head(stack[self]).made]
                                      /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                           /\ UNCHANGED << free, orphans, closed, held, raised, 
                                           live, making, hands, failedNew, 
                                           gone, retiring, spare_units, back, 
                                           op, units, retry, orphan, late, 
                                           spareAtLP >>

put_idle(self) == CheckClosed_put(self) \/ PutIdle(self)
                     \/ CheckClosed_drain(self)

Reset(self) == /\ pc[self] = "Reset"
               /\ \/ /\ IF Mutant = "PutBeforeReset"
                           THEN /\ free' = Append(free, back[self])
                                /\ pc' = [pc EXCEPT ![self] = "ResetLate"]
                                /\ UNCHANGED << stack, made >>
                           ELSE /\ /\ made' = [made EXCEPT ![self] = back[self]]
                                   /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                            pc        |->  Head(stack[self]).pc,
                                                                            made      |->  made[self] ] >>
                                                                        \o Tail(stack[self])]
                                /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                /\ free' = free
                     /\ UNCHANGED <<raised, gone, retiring>>
                  \/ /\ ResetFails
                     /\ \/ /\ TRUE
                           /\ UNCHANGED raised
                        \/ /\ raised' = [raised EXCEPT ![self] = TRUE]
                     /\ IF Bounded
                           THEN /\ /\ gone' = [gone EXCEPT ![self] = back[self]]
                                   /\ retiring' = [retiring EXCEPT ![self] = TRUE]
                                   /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                            pc        |->  "CheckClosed_retire",
                                                                            gone      |->  gone[self],
                                                                            retiring  |->  retiring[self] ] >>
                                                                        \o stack[self]]
                                /\ pc' = [pc EXCEPT ![self] = "Discard"]
                           ELSE /\ /\ gone' = [gone EXCEPT ![self] = back[self]]
                                   /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                   /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                            pc        |->  Head(stack[self]).pc,
                                                                            gone      |->  gone[self],
                                                                            retiring  |->  retiring[self] ] >>
                                                                        \o Tail(stack[self])]
                                /\ pc' = [pc EXCEPT ![self] = "Discard"]
                     /\ UNCHANGED <<free, made>>
               /\ UNCHANGED << orphans, closed, held, live, making, hands, 
                               failedNew, spare_units, back, op, units, retry, 
                               orphan, late, spareAtLP >>

ResetLate(self) == /\ pc[self] = "ResetLate"
                   /\ hands' = [hands EXCEPT ![self] = hands[self] \ {back[self]}]
                   /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                   /\ back' = [back EXCEPT ![self] = Head(stack[self]).back]
                   /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                   /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                                   making, failedNew, gone, retiring, 
                                   spare_units, made, op, units, retry, orphan, 
                                   late, spareAtLP >>

CheckClosed_retire(self) == /\ pc[self] = "CheckClosed_retire"
                            /\ IF ~Static
                                  THEN /\ IF Mutant = "LeakOnReset"
                                             THEN /\ making' = making - 1
                                                  /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                                  /\ back' = [back EXCEPT ![self] = Head(stack[self]).back]
                                                  /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                                  /\ UNCHANGED spare_units
                                             ELSE /\ /\ spare_units' = [spare_units EXCEPT ![self] = 1]
                                                     /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                              pc        |->  Head(stack[self]).pc,
                                                                                              spare_units |->  spare_units[self] ] >>
                                                                                          \o Tail(stack[self])]
                                                  /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                  /\ UNCHANGED << making, back >>
                                  ELSE /\ IF closed
                                             THEN /\ making' = making - 1
                                                  /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                                  /\ back' = [back EXCEPT ![self] = Head(stack[self]).back]
                                                  /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                             ELSE /\ pc' = [pc EXCEPT ![self] = "Replace"]
                                                  /\ UNCHANGED << making, 
                                                                  stack, back >>
                                       /\ UNCHANGED spare_units
                            /\ UNCHANGED << free, orphans, closed, held, 
                                            raised, live, hands, failedNew, 
                                            gone, retiring, made, op, units, 
                                            retry, orphan, late, spareAtLP >>

Replace(self) == /\ pc[self] = "Replace"
                 /\ \/ /\ LET r == Fresh IN
                            /\ live' = (live \cup {r})
                            /\ making' = making - 1
                            /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                            /\ /\ made' = [made EXCEPT ![self] = r]
                               /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                        pc        |->  Head(stack[self]).pc,
                                                                        made      |->  made[self] ] >>
                                                                    \o Tail(stack[self])]
                            /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                       /\ UNCHANGED <<raised, failedNew, spare_units>>
                    \/ /\ NewFails
                       /\ failedNew' = TRUE
                       /\ raised' = [raised EXCEPT ![self] = TRUE]
                       /\ /\ spare_units' = [spare_units EXCEPT ![self] = 1]
                          /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                   pc        |->  Head(stack[self]).pc,
                                                                   spare_units |->  spare_units[self] ] >>
                                                               \o Tail(stack[self])]
                       /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                       /\ UNCHANGED <<live, making, hands, made>>
                 /\ UNCHANGED << free, orphans, closed, held, gone, retiring, 
                                 back, op, units, retry, orphan, late, 
                                 spareAtLP >>

give_back(self) == Reset(self) \/ ResetLate(self)
                      \/ CheckClosed_retire(self) \/ Replace(self)

Orphan == /\ pc[Collector] = "Orphan"
          /\ Orphaning
          /\ \E c \in Clients:
               \E r \in held[c]:
                 /\ held' = [held EXCEPT ![c] = held[c] \ {r}]
                 /\ orphans' = Append(orphans, r)
          /\ pc' = [pc EXCEPT ![Collector] = "Orphan"]
          /\ UNCHANGED << free, closed, raised, live, making, hands, failedNew, 
                          stack, gone, retiring, spare_units, made, back, op, 
                          units, retry, orphan, late, spareAtLP >>

collector == Orphan

Idle(self) == /\ pc[self] = "Idle"
              /\ raised' = [raised EXCEPT ![self] = FALSE]
              /\ \/ /\ op' = [op EXCEPT ![self] = "get"]
                    /\ late' = [late EXCEPT ![self] = closed]
                    /\ pc' = [pc EXCEPT ![self] = "CheckClosed"]
                 \/ /\ held[self] # {}
                    /\ op' = [op EXCEPT ![self] = "release"]
                    /\ pc' = [pc EXCEPT ![self] = "Claim"]
                    /\ late' = late
                 \/ /\ self \in Closers
                    /\ op' = [op EXCEPT ![self] = "close"]
                    /\ pc' = [pc EXCEPT ![self] = "SetClosed"]
                    /\ late' = late
              /\ UNCHANGED << free, orphans, closed, held, live, making, hands, 
                              failedNew, stack, gone, retiring, spare_units, 
                              made, back, units, retry, orphan, spareAtLP >>

CheckClosed(self) == /\ pc[self] = "CheckClosed"
                     /\ IF closed /\ Mutant # "NoCheckClosed"
                           THEN /\ op' = [op EXCEPT ![self] = "none"]
                                /\ late' = [late EXCEPT ![self] = FALSE]
                                /\ pc' = [pc EXCEPT ![self] = "Idle"]
                           ELSE /\ pc' = [pc EXCEPT ![self] = "TakeFree"]
                                /\ UNCHANGED << op, late >>
                     /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                                     making, hands, failedNew, stack, gone, 
                                     retiring, spare_units, made, back, units, 
                                     retry, orphan, spareAtLP >>

TakeFree(self) == /\ pc[self] = "TakeFree"
                  /\ Mutant # "WaitForIdle" \/ IdleCount > 0
                  /\ raised' = [raised EXCEPT ![self] = FALSE]
                  /\ IF free = <<>>
                        THEN /\ spareAtLP' = [spareAtLP EXCEPT ![self] = IdleCount + Unreserved]
                             /\ pc' = [pc EXCEPT ![self] = "CheckClosed_empty"]
                             /\ UNCHANGED << free, held, making, op, units, 
                                             retry, late >>
                        ELSE /\ LET i == Last(free) IN
                                  /\ free' = Front(free)
                                  /\ retry' = [retry EXCEPT ![self] = FALSE]
                                  /\ IF IsRes(i)
                                        THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {i}]
                                             /\ op' = [op EXCEPT ![self] = "none"]
                                             /\ late' = [late EXCEPT ![self] = FALSE]
                                             /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                             /\ UNCHANGED << making, units >>
                                        ELSE /\ units' = [units EXCEPT ![self] = Size(i)]
                                             /\ making' = making + Size(i)
                                             /\ pc' = [pc EXCEPT ![self] = "Create"]
                                             /\ UNCHANGED << held, op, late >>
                             /\ UNCHANGED spareAtLP
                  /\ UNCHANGED << orphans, closed, live, hands, failedNew, 
                                  stack, gone, retiring, spare_units, made, 
                                  back, orphan >>

CheckClosed_empty(self) == /\ pc[self] = "CheckClosed_empty"
                           /\ IF closed
                                 THEN /\ spareAtLP' = [spareAtLP EXCEPT ![self] = 0]
                                      /\ retry' = [retry EXCEPT ![self] = FALSE]
                                      /\ op' = [op EXCEPT ![self] = "none"]
                                      /\ late' = [late EXCEPT ![self] = FALSE]
                                      /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                 ELSE /\ IF retry[self] \/ Mutant = "RetryGrow"
                                            THEN /\ IF GrowsOnEmpty
                                                       THEN /\ pc' = [pc EXCEPT ![self] = "Reserve"]
                                                       ELSE /\ pc' = [pc EXCEPT ![self] = "Miss"]
                                            ELSE /\ pc' = [pc EXCEPT ![self] = "PeekOrphans"]
                                      /\ UNCHANGED << op, retry, late, 
                                                      spareAtLP >>
                           /\ UNCHANGED << free, orphans, closed, held, raised, 
                                           live, making, hands, failedNew, 
                                           stack, gone, retiring, spare_units, 
                                           made, back, units, orphan >>

PeekOrphans(self) == /\ pc[self] = "PeekOrphans"
                     /\ IF orphans = <<>> /\ ~GrowsOnEmpty
                           THEN /\ pc' = [pc EXCEPT ![self] = "Miss"]
                           ELSE /\ pc' = [pc EXCEPT ![self] = "CheckClosed_slow"]
                     /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                                     making, hands, failedNew, stack, gone, 
                                     retiring, spare_units, made, back, op, 
                                     units, retry, orphan, late, spareAtLP >>

CheckClosed_slow(self) == /\ pc[self] = "CheckClosed_slow"
                          /\ IF closed
                                THEN /\ spareAtLP' = [spareAtLP EXCEPT ![self] = 0]
                                     /\ op' = [op EXCEPT ![self] = "none"]
                                     /\ late' = [late EXCEPT ![self] = FALSE]
                                     /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                ELSE /\ pc' = [pc EXCEPT ![self] = "TakeOrphan"]
                                     /\ UNCHANGED << op, late, spareAtLP >>
                          /\ UNCHANGED << free, orphans, closed, held, raised, 
                                          live, making, hands, failedNew, 
                                          stack, gone, retiring, spare_units, 
                                          made, back, units, retry, orphan >>

Miss(self) == /\ pc[self] = "Miss"
              /\ spareAtLP' = [spareAtLP EXCEPT ![self] = 0]
              /\ retry' = [retry EXCEPT ![self] = FALSE]
              /\ op' = [op EXCEPT ![self] = "none"]
              /\ late' = [late EXCEPT ![self] = FALSE]
              /\ pc' = [pc EXCEPT ![self] = "Idle"]
              /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                              making, hands, failedNew, stack, gone, retiring, 
                              spare_units, made, back, units, orphan >>

ReserveLate(self) == /\ pc[self] = "ReserveLate"
                     /\ units' = [units EXCEPT ![self] = ChunkSize]
                     /\ making' = making + ChunkSize
                     /\ pc' = [pc EXCEPT ![self] = "Create"]
                     /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                                     hands, failedNew, stack, gone, retiring, 
                                     spare_units, made, back, op, retry, 
                                     orphan, late, spareAtLP >>

Reserve(self) == /\ pc[self] = "Reserve"
                 /\ spareAtLP' = [spareAtLP EXCEPT ![self] = 0]
                 /\ retry' = [retry EXCEPT ![self] = FALSE]
                 /\ IF Mutant = "TwoStepReserve"
                       THEN /\ IF Capacity >= Maximum
                                  THEN /\ pc' = [pc EXCEPT ![self] = "Miss"]
                                  ELSE /\ pc' = [pc EXCEPT ![self] = "ReserveLate"]
                            /\ UNCHANGED << making, units >>
                       ELSE /\ \E n \in GrowthChoices:
                                 /\ units' = [units EXCEPT ![self] = n]
                                 /\ making' = making + n
                            /\ pc' = [pc EXCEPT ![self] = "Create"]
                 /\ UNCHANGED << free, orphans, closed, held, raised, live, 
                                 hands, failedNew, stack, gone, retiring, 
                                 spare_units, made, back, op, orphan, late >>

Create(self) == /\ pc[self] = "Create"
                /\ IF raised[self]
                      THEN /\ making' = making - units[self]
                           /\ units' = [units EXCEPT ![self] = 0]
                           /\ op' = [op EXCEPT ![self] = "none"]
                           /\ late' = [late EXCEPT ![self] = FALSE]
                           /\ pc' = [pc EXCEPT ![self] = "Idle"]
                           /\ UNCHANGED << held, live, hands, failedNew, stack, 
                                           spare_units, made >>
                      ELSE /\ \/ /\ LET r == Fresh IN
                                      /\ live' = (live \cup {r})
                                      /\ making' = making - 1
                                      /\ IF units[self] > 1 \/ Mutant = "RetryGrow"
                                            THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                                                 /\ units' = [units EXCEPT ![self] = units[self] - 1]
                                                 /\ IF units'[self] = 0
                                                       THEN /\ /\ made' = [made EXCEPT ![self] = r]
                                                               /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                                                        pc        |->  "TakeFree",
                                                                                                        made      |->  made[self] ] >>
                                                                                                    \o stack[self]]
                                                            /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                                       ELSE /\ /\ made' = [made EXCEPT ![self] = r]
                                                               /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                                                        pc        |->  "Create",
                                                                                                        made      |->  made[self] ] >>
                                                                                                    \o stack[self]]
                                                            /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                                 /\ UNCHANGED << held, op, 
                                                                 late >>
                                            ELSE /\ held' = [held EXCEPT ![self] = held[self] \cup {r}]
                                                 /\ units' = [units EXCEPT ![self] = 0]
                                                 /\ op' = [op EXCEPT ![self] = "none"]
                                                 /\ late' = [late EXCEPT ![self] = FALSE]
                                                 /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                                 /\ UNCHANGED << hands, stack, 
                                                                 made >>
                                 /\ UNCHANGED <<failedNew, spare_units>>
                              \/ /\ NewFails
                                 /\ failedNew' = TRUE
                                 /\ LET n == units[self] IN
                                      /\ units' = [units EXCEPT ![self] = 0]
                                      /\ op' = [op EXCEPT ![self] = "none"]
                                      /\ late' = [late EXCEPT ![self] = FALSE]
                                      /\ IF Bounded /\ Mutant # "KeepReservation"
                                            THEN /\ /\ spare_units' = [spare_units EXCEPT ![self] = n]
                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                             pc        |->  "Idle",
                                                                                             spare_units |->  spare_units[self] ] >>
                                                                                         \o stack[self]]
                                                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                 /\ UNCHANGED making
                                            ELSE /\ making' = making - n
                                                 /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                                 /\ UNCHANGED << stack, 
                                                                 spare_units >>
                                 /\ UNCHANGED <<held, live, hands, made>>
                /\ UNCHANGED << free, orphans, closed, raised, gone, retiring, 
                                back, retry, orphan, spareAtLP >>

Claim(self) == /\ pc[self] = "Claim"
               /\ IF held[self] = {}
                     THEN /\ op' = [op EXCEPT ![self] = "none"]
                          /\ pc' = [pc EXCEPT ![self] = "Idle"]
                          /\ UNCHANGED << held, hands, stack, back >>
                     ELSE /\ \E r \in held[self]:
                               /\ held' = [held EXCEPT ![self] = held[self] \ {r}]
                               /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                               /\ /\ back' = [back EXCEPT ![self] = r]
                                  /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "give_back",
                                                                           pc        |->  "TakeOrphan",
                                                                           back      |->  back[self] ] >>
                                                                       \o stack[self]]
                               /\ pc' = [pc EXCEPT ![self] = "Reset"]
                          /\ op' = op
               /\ UNCHANGED << free, orphans, closed, raised, live, making, 
                               failedNew, gone, retiring, spare_units, made, 
                               units, retry, orphan, late, spareAtLP >>

TakeOrphan(self) == /\ pc[self] = "TakeOrphan"
                    /\ IF raised[self] \/ orphans = <<>>
                          THEN /\ IF op[self] = "get"
                                     THEN /\ IF GrowsOnEmpty
                                                THEN /\ pc' = [pc EXCEPT ![self] = "Reserve"]
                                                ELSE /\ pc' = [pc EXCEPT ![self] = "Miss"]
                                          /\ op' = op
                                     ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                          /\ pc' = [pc EXCEPT ![self] = "Idle"]
                               /\ UNCHANGED << orphans, hands, orphan >>
                          ELSE /\ LET o == Last(orphans) IN
                                    /\ orphan' = [orphan EXCEPT ![self] = o]
                                    /\ orphans' = Front(orphans)
                                    /\ IF IsRes(o)
                                          THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {o}]
                                          ELSE /\ TRUE
                                               /\ hands' = hands
                               /\ pc' = [pc EXCEPT ![self] = "CheckClosed_adopt"]
                               /\ op' = op
                    /\ UNCHANGED << free, closed, held, raised, live, making, 
                                    failedNew, stack, gone, retiring, 
                                    spare_units, made, back, units, retry, 
                                    late, spareAtLP >>

CheckClosed_adopt(self) == /\ pc[self] = "CheckClosed_adopt"
                           /\ LET o == orphan[self] IN
                                /\ orphan' = [orphan EXCEPT ![self] = None]
                                /\ IF IsGrant(o)
                                      THEN /\ IF closed \/ ~Bounded
                                                 THEN /\ making' = making - Size(o)
                                                      /\ IF op[self] = "get"
                                                            THEN /\ retry' = [retry EXCEPT ![self] = TRUE]
                                                                 /\ pc' = [pc EXCEPT ![self] = "TakeFree"]
                                                                 /\ op' = op
                                                            ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                                 /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                                                 /\ retry' = retry
                                                      /\ UNCHANGED << stack, 
                                                                      spare_units >>
                                                 ELSE /\ IF op[self] = "get"
                                                            THEN /\ retry' = [retry EXCEPT ![self] = TRUE]
                                                                 /\ /\ spare_units' = [spare_units EXCEPT ![self] = Size(o)]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                                             pc        |->  "TakeFree",
                                                                                                             spare_units |->  spare_units[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                                 /\ op' = op
                                                            ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                                 /\ /\ spare_units' = [spare_units EXCEPT ![self] = Size(o)]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                                             pc        |->  "Idle",
                                                                                                             spare_units |->  spare_units[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                                 /\ retry' = retry
                                                      /\ UNCHANGED making
                                           /\ UNCHANGED << gone, retiring, 
                                                           back >>
                                      ELSE /\ IF closed
                                                 THEN /\ IF op[self] = "get"
                                                            THEN /\ retry' = [retry EXCEPT ![self] = TRUE]
                                                                 /\ /\ gone' = [gone EXCEPT ![self] = o]
                                                                    /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                                                             pc        |->  "TakeFree",
                                                                                                             gone      |->  gone[self],
                                                                                                             retiring  |->  retiring[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "Discard"]
                                                                 /\ op' = op
                                                            ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                                 /\ /\ gone' = [gone EXCEPT ![self] = o]
                                                                    /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                                                             pc        |->  "Idle",
                                                                                                             gone      |->  gone[self],
                                                                                                             retiring  |->  retiring[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "Discard"]
                                                                 /\ retry' = retry
                                                      /\ back' = back
                                                 ELSE /\ IF op[self] = "get"
                                                            THEN /\ retry' = [retry EXCEPT ![self] = TRUE]
                                                                 /\ /\ back' = [back EXCEPT ![self] = o]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "give_back",
                                                                                                             pc        |->  "TakeFree",
                                                                                                             back      |->  back[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "Reset"]
                                                                 /\ op' = op
                                                            ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                                 /\ /\ back' = [back EXCEPT ![self] = o]
                                                                    /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "give_back",
                                                                                                             pc        |->  "Idle",
                                                                                                             back      |->  back[self] ] >>
                                                                                                         \o stack[self]]
                                                                 /\ pc' = [pc EXCEPT ![self] = "Reset"]
                                                                 /\ retry' = retry
                                                      /\ UNCHANGED << gone, 
                                                                      retiring >>
                                           /\ UNCHANGED << making, spare_units >>
                           /\ UNCHANGED << free, orphans, closed, held, raised, 
                                           live, hands, failedNew, made, units, 
                                           late, spareAtLP >>

SetClosed(self) == /\ pc[self] = "SetClosed"
                   /\ closed' = TRUE
                   /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "drain",
                                                            pc        |->  "TakeOrphan_close" ] >>
                                                        \o stack[self]]
                   /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                   /\ UNCHANGED << free, orphans, held, raised, live, making, 
                                   hands, failedNew, gone, retiring, 
                                   spare_units, made, back, op, units, retry, 
                                   orphan, late, spareAtLP >>

TakeOrphan_close(self) == /\ pc[self] = "TakeOrphan_close"
                          /\ IF orphans = <<>>
                                THEN /\ op' = [op EXCEPT ![self] = "none"]
                                     /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                     /\ UNCHANGED << orphans, making, hands, 
                                                     stack, gone, retiring >>
                                ELSE /\ LET o == Last(orphans) IN
                                          /\ orphans' = Front(orphans)
                                          /\ IF IsGrant(o)
                                                THEN /\ making' = making - Size(o)
                                                     /\ pc' = [pc EXCEPT ![self] = "TakeOrphan_close"]
                                                     /\ UNCHANGED << hands, 
                                                                     stack, 
                                                                     gone, 
                                                                     retiring >>
                                                ELSE /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {o}]
                                                     /\ /\ gone' = [gone EXCEPT ![self] = o]
                                                        /\ retiring' = [retiring EXCEPT ![self] = FALSE]
                                                        /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "discard",
                                                                                                 pc        |->  "TakeOrphan_close",
                                                                                                 gone      |->  gone[self],
                                                                                                 retiring  |->  retiring[self] ] >>
                                                                                             \o stack[self]]
                                                     /\ pc' = [pc EXCEPT ![self] = "Discard"]
                                                     /\ UNCHANGED making
                                     /\ op' = op
                          /\ UNCHANGED << free, closed, held, raised, live, 
                                          failedNew, spare_units, made, back, 
                                          units, retry, orphan, late, 
                                          spareAtLP >>

client(self) == Idle(self) \/ CheckClosed(self) \/ TakeFree(self)
                   \/ CheckClosed_empty(self) \/ PeekOrphans(self)
                   \/ CheckClosed_slow(self) \/ Miss(self)
                   \/ ReserveLate(self) \/ Reserve(self) \/ Create(self)
                   \/ Claim(self) \/ TakeOrphan(self)
                   \/ CheckClosed_adopt(self) \/ SetClosed(self)
                   \/ TakeOrphan_close(self)

Next == collector
           \/ (\E self \in ProcSet:  \/ discard(self) \/ return_capacity(self)
                                     \/ drain(self) \/ put_idle(self)
                                     \/ give_back(self))
           \/ (\E self \in Clients: client(self))

Spec == /\ Init /\ [][Next]_vars
        /\ \A self \in Clients : /\ WF_vars(client(self))
                                 /\ WF_vars(put_idle(self))
                                 /\ WF_vars(return_capacity(self))
                                 /\ WF_vars(give_back(self))
                                 /\ WF_vars(discard(self))
                                 /\ WF_vars(drain(self))

\* END TRANSLATION

(***************************************************************************)
(* Interruptions: Recover.  An exception can land between any two steps of *)
(* a call (KeyboardInterrupt, RecursionError at the recursion limit); the  *)
(* code keeps what a call took out of shared state in a one-element list,  *)
(* `held`, and its `except BaseException` handler gives back what is left  *)
(* in it with one C-level statement, `orphans += held` ("# Model: Recover" *)
(* in the code).  Recover is that step: at any label of a call, what the   *)
(* call holds (the resources in hands[c] and the units of Holding(c))      *)
(* goes to orphans, and the exception leaves the call.  It is written here, *)
(* outside the PlusCal, because it is a step of every label, procedures'   *)
(* included: it unwinds the call stack.  Spec leaves it out;               *)
(* InterruptibleSpec adds it when Interrupts is TRUE.                      *)
(*                                                                         *)
(* An interruption inside user code (new, reset, close) is that code       *)
(* raising, which the failure branches already take (hence the ASSUME     *)
(* that they are on).  docs/models.md says which handler paths of the code *)
(* Recover stands for and which it does not.                               *)
(***************************************************************************)

(* The units of capacity client c's call holds (the code's `held` list,   *)
(* when it holds an int): a growth's units not yet made, the units being  *)
(* given back, the unit of a retired resource, adopted orphan units.       *)
Holding(c) ==
    units[c]
    + (IF pc[c] \in {"CheckClosed_return", "ReturnGrant"} THEN spare_units[c] ELSE 0)
    + (IF pc[c] \in {"CheckClosed_retire", "Replace"} THEN 1 ELSE 0)
    + (IF pc[c] = "CheckClosed_adopt" /\ IsGrant(orphan[c]) THEN Size(orphan[c]) ELSE 0)

RECURSIVE SumOf(_, _)
SumOf(f, S) == IF S = {} THEN 0
               ELSE LET x == CHOOSE x \in S : TRUE IN f[x] + SumOf(f, S \ {x})

(* Units in calls and units waiting in orphans.                            *)
HeldUnits == SumOf([c \in Clients |-> Holding(c)], Clients)
OrphanUnits == SpareIn(orphans)

RECURSIVE AsSeq(_)
AsSeq(S) == IF S = {} THEN <<>>
            ELSE LET x == CHOOSE x \in S : TRUE IN <<x>> \o AsSeq(S \ {x})

(* What the handler appends: the code's `held`, units first, as in the     *)
(* growth's [units, resource].                                             *)
Held(c) == (IF Holding(c) > 0 THEN <<Grant(Holding(c))>> ELSE <<>>) \o AsSeq(hands[c])

(* A procedure variable once every frame of stack s has returned: the     *)
(* value saved by the bottom-most frame that saved it.                    *)
RECURSIVE Unwound(_, _, _)
Unwound(s, f, v) == IF s = <<>> THEN v
                    ELSE Unwound(Tail(s), f, IF f \in DOMAIN Head(s) THEN Head(s)[f] ELSE v)

(* Mutant NoRecover: the handler is missing.  Mutant CatchException: it   *)
(* catches Exception only, so a KeyboardInterrupt skips it (RecursionError *)
(* is an Exception).  Either way what the call held is lost.               *)
Kinds == IF Mutant = "CatchException" THEN {"RecursionError", "KeyboardInterrupt"}
         ELSE {"any"}
Recovers(kind) ==
    ~(Mutant = "NoRecover" \/ (Mutant = "CatchException" /\ kind = "KeyboardInterrupt"))

Recover(self) ==
    /\ Interrupts
    /\ pc[self] # "Idle"
    /\ \E kind \in Kinds :
          orphans' = IF Recovers(kind) THEN orphans \o Held(self) ELSE orphans
    /\ failedNew' = (failedNew \/ Holding(self) > 0)
    /\ hands' = [hands EXCEPT ![self] = {}]
    /\ raised' = [raised EXCEPT ![self] = FALSE]
    /\ pc' = [pc EXCEPT ![self] = "Idle"]
    /\ stack' = [stack EXCEPT ![self] = <<>>]
    /\ gone' = [gone EXCEPT ![self] = Unwound(stack[self], "gone", gone[self])]
    /\ retiring' = [retiring EXCEPT ![self] = Unwound(stack[self], "retiring", retiring[self])]
    /\ spare_units' = [spare_units EXCEPT ![self] = Unwound(stack[self], "spare_units", spare_units[self])]
    /\ made' = [made EXCEPT ![self] = Unwound(stack[self], "made", made[self])]
    /\ back' = [back EXCEPT ![self] = Unwound(stack[self], "back", back[self])]
    /\ op' = [op EXCEPT ![self] = "none"]
    /\ units' = [units EXCEPT ![self] = 0]
    /\ retry' = [retry EXCEPT ![self] = FALSE]
    /\ orphan' = [orphan EXCEPT ![self] = None]
    /\ late' = [late EXCEPT ![self] = FALSE]
    /\ spareAtLP' = [spareAtLP EXCEPT ![self] = 0]
    /\ UNCHANGED <<free, closed, held, live, making>>

(* Safety only: no fairness, since an interruption is never owed.  With   *)
(* Interrupts FALSE, Recover is never enabled: the behaviours of Spec.     *)
InterruptibleSpec == Init /\ [][Next \/ \E c \in Clients : Recover(c)]_vars

(***************************************************************************)
(* Properties.  docs/models.md states each in words.                       *)
(***************************************************************************)
Range(s) == {s[i] : i \in 1..Len(s)}
OccurrencesIn(s, r) == Cardinality({i \in 1..Len(s) : s[i] = r})

(* A call in progress, for one client; Quiescent: none anywhere.           *)
Busy(c) == pc[c] # "Idle"
Quiescent == \A c \in Clients : ~Busy(c)

(* Every place a resource can be: idle, orphaned, in a guard, in a call.   *)
Seen == Resources(free) \cup Resources(orphans) \cup UNION {held[c] \cup hands[c] : c \in Clients}
Places(r) == OccurrencesIn(free, r) + OccurrencesIn(orphans, r)
             + Cardinality({c \in Clients : r \in held[c]})
             + Cardinality({c \in Clients : r \in hands[c]})
InUse == Cardinality(Resources(orphans)) + Cardinality(UNION {held[c] \cup hands[c] : c \in Clients})

TypeOK ==
    /\ \A i \in 1..Len(free) : free[i] \in Int /\ free[i] # None
    /\ \A i \in 1..Len(orphans) : orphans[i] \in Int /\ orphans[i] # None
    /\ closed \in BOOLEAN
    /\ failedNew \in BOOLEAN
    /\ \A c \in Clients :
          /\ held[c] \subseteq Nat /\ None \notin held[c]
          /\ hands[c] \subseteq Nat /\ None \notin hands[c]
          /\ raised[c] \in BOOLEAN
          /\ op[c] \in {"none", "get", "release", "close"}
          /\ units[c] \in Nat /\ retry[c] \in BOOLEAN /\ late[c] \in BOOLEAN
          /\ spareAtLP[c] \in Nat
    /\ live \subseteq Nat /\ None \notin live
    /\ making \in Nat

(* The deque is always "grants, then resources": only append adds         *)
(* resources, only appendleft adds grants.  So a pop returns a grant only  *)
(* when no resource is idle.                                               *)
Shape == \A i, j \in 1..Len(free) : i < j /\ IsRes(free[i]) => IsRes(free[j])

(* A resource is in one place at a time: never held by two clients, never *)
(* idle while held or while a call (a reset, a discard) works on it.       *)
Exclusive == \A r \in Seen : Places(r) = 1

(* No resource is lost or kept after being discarded.                      *)
Conserved == Seen = live

(* Capacity, counting creations in flight, never exceeds the maximum      *)
(* (for Static: the count).                                                *)
CapacityBound == Bounded => Capacity <= Maximum

(* capacity = idle + in use + in flight; every unit in flight is in a call *)
(* or waits in orphans; a bounded pool's spare capacity is all in its      *)
(* grants while it is open (after close() grants are dropped).             *)
Accounting ==
    /\ Capacity = IdleCount + InUse + making
    /\ making = HeldUnits + OrphanUnits
    /\ Bounded => Spare + Capacity <= Maximum
    /\ Bounded /\ ~closed => Spare + Capacity = Maximum

(* get() returns None only if, at its linearization point (its last       *)
(* TakeFree), no resource was idle and no capacity was spare.              *)
NoneOnlyWhenEmpty == \A c \in Clients : pc[c] = "Miss" => spareAtLP[c] = 0

(* A get() that began after close() set the flag hands out nothing (an   *)
(* action property: no step of such a get() adds to the client's guards). *)
GetAfterCloseRaises ==
    [][\A c \in Clients : late[c] => held'[c] \subseteq held[c]]_vars

(* Nothing reserved or in a call's hands once every call has returned,    *)
(* but the units that interrupted calls handed back to orphans.            *)
QuiescentHandsEmpty ==
    Quiescent => making = OrphanUnits /\ \A c \in Clients : hands[c] = {}

(* A closed pool keeps nothing idle once every call has returned.          *)
ClosedKeepsNothingIdle == Quiescent /\ closed => IdleCount = 0

(* Static: whenever no call is in flight and the pool is open, the live   *)
(* resources are the count less the units of failed replacements not yet *)
(* re-created (they wait as grants, or in orphans after an interruption); *)
(* with no unit ever gone back unmade, exactly the count.                 *)
StaticRestores ==
    Static /\ Quiescent /\ ~closed =>
        /\ Cardinality(live) + Spare + OrphanUnits = Maximum
        /\ ~failedNew => Cardinality(live) = Maximum

(* The refinement mapping: FreeList implements the atomic Pool.  The idle *)
(* resources are those in free (their order forgotten), the spare         *)
(* capacity its grants, and a resource in a call or orphaned is busy.     *)
Abstract == INSTANCE Pool WITH
    InitIdle <- 1..InitialCount,
    InitSpare <- SpareIn(InitFree),
    idle <- Resources(free),
    spare <- Spare,
    busy <- Resources(orphans) \cup UNION {hands[c] : c \in Clients}
Refinement == Abstract!Spec

(* Every started call finishes (under weak fairness of its client).      *)
Termination == \A c \in Clients : Busy(c) ~> ~Busy(c)

(* The steps of one client, its procedures' included.                      *)
ClientStep(c) ==
    \/ client(c) \/ discard(c) \/ return_capacity(c) \/ drain(c)
    \/ put_idle(c) \/ give_back(c) \/ Recover(c)

(* A client stopped forever: no fairness for Stalled.  It may stop at any *)
(* label, since its steps may simply never be taken again.                 *)
Stalled == CHOOSE c \in Clients : \A d \in Clients : c <= d
StallSpec ==
    Init /\ [][Next]_vars
    /\ \A c \in Clients \ {Stalled} : WF_vars(ClientStep(c))

(* Every call of every other client still finishes.                        *)
OthersFinish == \A c \in Clients \ {Stalled} : Busy(c) ~> ~Busy(c)

=============================================================================
