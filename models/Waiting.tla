------------------------------ MODULE Waiting -------------------------------
(***************************************************************************)
(* rpool's waiter queue beside its free list, at the atomic granularity of *)
(* the code: src/rpool/_waiters.py (waiting, first_alive, ring, ring_all), *)
(* _acquire.py (wait, wait_async), _pool.py (get, acquire, acquire_async,  *)
(* _take_as_head), _core.py (_get_slow, _yield, _grow, _put_idle,          *)
(* _return_capacity, _drain, _close), _disposal.py (_retire, _reuse) and   *)
(* _guard.py (PoolGuard.release).                                          *)
(* docs/design.md, "Waiting", is the algorithm; docs/models.md maps every  *)
(* label to its line.                                                      *)
(*                                                                         *)
(* The rule: only the head takes.  The head is the oldest live waiter;     *)
(* whatever becomes available while callers wait stays in `free` until    *)
(* the head pops it, and any other caller that pops something while       *)
(* waiters exist gives it back (Yield).  A ring only tells the head to    *)
(* look again: it is a token the waiter's next Park consumes.             *)
(*                                                                         *)
(* Every label is one runtime-atomic operation of the code (a deque        *)
(* method, a read or store of `_closed` or of a waiter's `alive` slot, a  *)
(* SimpleQueue put or get) or one call of user code, named as the         *)
(* "# Model: X" comment on its line; where one action occurs in several    *)
(* functions the label is the action followed by the function's part      *)
(* (CheckClosed_head is the CheckClosed of _take_as_head).  Idle, the     *)
(* start of a call, touches no shared variable; release()'s Claim and      *)
(* Reset are in it, since without a garbage collector nobody else can     *)
(* reach a guard's box (FreeList.tla models the collector and orphans).   *)
(*                                                                         *)
(* Events of the environment, with no fairness: a waiter's deadline       *)
(* passes (the clock, process 0) at any instant of its wait, and the      *)
(* waiter reads the clock once a round, before it looks (ReadClock); a    *)
(* parked waiter is cancelled (asyncio.CancelledError, KeyboardInterrupt  *)
(* in the park), and leaves; a park returns unrung (Spurious).            *)
(*                                                                         *)
(* Bounded pools only: an unbounded pool's get() never returns None to an *)
(* acquire() (it grows instead), so nobody ever waits in one.              *)
(*                                                                         *)
(* This module stays unbounded in its constants; the MCWaiting*.cfg files  *)
(* bound them and say why the bounds suffice.                              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
    Clients,     \* the threads (or tasks): numbers >= 1
    Getters,     \* the clients that call get()
    Acquirers,   \* the clients that call acquire()
    Closers,     \* the clients that may call close()
    Static,      \* TRUE: Static(count = Maximum); FALSE: AutoScale with a maximum
    Maximum,     \* Static.count, or AutoScale.maximum
    Initial,     \* AutoScale.initial (a Static pool starts with Maximum)
    ChunkSize,   \* AutoScale.chunk_size; 0 doubles
    NewFails,    \* the user's new() may raise
    ResetFails,  \* the user's reset() may return False (or raise)
    Timeouts,    \* a waiter's deadline may pass
    Cancels,     \* a parked waiter may be cancelled or interrupted
    Spurious,    \* a park may return unrung (a ThreadWaiter's extra token)
    Mutant       \* "none" for the code as it is; see the MutantWait*.cfg files

ASSUME Clients \subseteq Nat \ {0}
ASSUME Getters \subseteq Clients /\ Acquirers \subseteq Clients /\ Closers \subseteq Clients
ASSUME Static \in BOOLEAN /\ Maximum \in Nat \ {0} /\ Initial \in 0..Maximum
ASSUME ChunkSize \in Nat
ASSUME {NewFails, ResetFails, Timeouts, Cancels, Spurious} \subseteq BOOLEAN

(* The clock, which lets deadlines pass, is process 0.                     *)
Clock == 0

(* Items of the deque `free`, as in FreeList.tla: a resource is a positive *)
(* number, a grant of n units is -n, None (an empty pop) is 0.            *)
None == 0
Grant(n) == -n
IsGrant(i) == i < 0
IsRes(i) == i > 0
Size(g) == -g

(* Entries of `waiters` are the clients whose acquire() is waiting (a      *)
(* client waits in one acquire() at a time).  A reference to a waiter     *)
(* that has left the deque is Dead: the code's reference still points to  *)
(* that waiter object, whose `alive` is False for good, whose remove()     *)
(* raises ValueError and whose tokens nobody will ever consume.  Turning  *)
(* such references into Dead when the entry leaves the deque keeps them   *)
(* from being confused with the same client's next waiter.                *)
Dead == 0

Last(s) == s[Len(s)]
Front(s) == SubSeq(s, 1, Len(s) - 1)
Range(s) == {s[i] : i \in 1..Len(s)}
Without(s, x) == SelectSeq(s, LAMBDA y : y # x)
Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b

(* AutoScale.growth and AutoScale.grants (_scale.py), as in FreeList.tla.  *)
Growth(capacity) ==
    Min(IF ChunkSize = 0 THEN Max(capacity, 1) ELSE ChunkSize, Maximum - capacity)
RECURSIVE GrantsFrom(_)
GrantsFrom(capacity) ==
    IF capacity >= Maximum THEN <<>>
    ELSE <<Growth(capacity)>> \o GrantsFrom(capacity + Growth(capacity))
RECURSIVE Reverse(_)
Reverse(s) == IF s = <<>> THEN <<>> ELSE Reverse(Tail(s)) \o <<Head(s)>>

InitialCount == IF Static THEN Maximum ELSE Initial

(* Core._setup: the grants reversed, then the initial resources.           *)
InitFree ==
    LET grants == IF Static THEN <<>> ELSE Reverse(GrantsFrom(Initial))
    IN [i \in 1..Len(grants) |-> Grant(grants[i])] \o [i \in 1..InitialCount |-> i]

(* --algorithm Waiting {
variables
    free = InitFree,                      \* Core._free
    closed = FALSE,                       \* Core._closed
    waiters = <<>>,                       \* Core._waiters: the waiters, oldest first
    alive = [c \in Clients |-> FALSE],    \* c's waiter's `alive` slot
    token = [c \in Clients |-> FALSE],    \* a ring c's waiter has not yet consumed
    expired = [c \in Clients |-> FALSE],  \* c's deadline has passed
    late = [c \in Clients |-> FALSE],     \* waiting(): the deadline had passed at the
                                          \* clock's last reading (`remaining <= 0`)
    held = [c \in Clients |-> {}],        \* the resources in c's guards
    hands = [c \in Clients |-> {}],       \* resources inside c's call (being put idle or discarded)
    units = [c \in Clients |-> 0],        \* units inside c's call (a grant being grown or given back)
    op = [c \in Clients |-> "none"],      \* c's call: "get", "acquire" (its first get()),
                                          \* "wait" (waiting()), "release", "close"
    ref = [c \in Clients |-> Dead],       \* the waiter c's ring() or first_alive() read at waiters[0]
    tries = [c \in Clients |-> 0],        \* ring(): iterations left of range(len(waiters) + 1)
    wake = [c \in Clients |-> <<>>],      \* ring_all(): the copy of waiters still to ring
    drained = [c \in Clients |-> None],   \* _drain(): the resource being discarded
    early = [c \in Clients |-> FALSE],    \* Mutant CheckWaitersEarly: what the early read saw
    \* Ghost and history variables (nothing in the code reads them):
    live = 1..InitialCount,               \* resources created, not yet discarded
    waitq = <<>>,                         \* callers waiting, in arrival order: enqueued,
                                          \* not yet served (the head's pop) nor leaving
    popSaw = [c \in Clients |-> {}],      \* the callers waiting when c's get() popped
    bypassed = {};                        \* <<taker, waiter>>: taker took while waiter,
                                          \* queued before, was still waiting (FIFO)

define {
    Resources(s) == {s[i] : i \in {j \in 1..Len(s) : IsRes(s[j])}}
    IdleCount == Cardinality({i \in 1..Len(free) : IsRes(free[i])})
    RECURSIVE SpareIn(_)
    SpareIn(s) == IF s = <<>> THEN 0
                  ELSE (IF IsGrant(Head(s)) THEN Size(Head(s)) ELSE 0) + SpareIn(Tail(s))
    Spare == SpareIn(free)
    Fresh == CHOOSE r \in 1..(Cardinality(live) + 1) : r \notin live
    IsAlive(w) == w # Dead /\ alive[w]
    \* The callers ahead of c in arrival order (all of them if c is not waiting).
    Ahead(c) == IF c \in Range(waitq)
                THEN LET i == CHOOSE i \in 1..Len(waitq) : waitq[i] = c
                     IN {waitq[j] : j \in 1..(i - 1)}
                ELSE Range(waitq)
}

\* waiters.remove(w): the entry goes, if it is still there (else ValueError);
\* references to it become Dead (see Dead above).
macro RemoveEntry(w) {
    if (w \in Range(waiters)) {
        waiters := Without(waiters, w);
        ref := [c \in Clients |-> IF ref[c] = w THEN Dead ELSE ref[c]];
        wake := [c \in Clients |-> [i \in DOMAIN wake[c] |->
                    IF wake[c][i] = w THEN Dead ELSE wake[c][i]]]
    }
}

\* get() keeps what it popped (nobody waits): a resource becomes its guard,
\* a grant its growth.  FIFO's history: whoever was waiting at the pop and
\* still waits was bypassed.
macro KeepItem() {
    bypassed := bypassed \cup {<<self, w>> : w \in popSaw[self] \cap Range(waitq)};
    popSaw[self] := {};
    if (IsRes(item)) { held[self] := held[self] \cup {item}; op[self] := "none" }
    else units[self] := Size(item);
    item := None
}

\* The call returns: acquire() hands its caller the guard the head took.
macro Finish() {
    held[self] := held[self] \cup (IF own = None THEN {} ELSE {own});
    own := None;
    op[self] := "none";
    expired[self] := FALSE;
    late[self] := FALSE
}

\* _waiters.ring(waiters): tell the head to look again.  Model: Ring.
procedure ring() {
Ring_len:
    \* for _ in range(len(waiters) + 1): the bound, one read of len.
    tries[self] := Len(waiters) + 1;
CheckHead_ring:
    \* head = waiters[0] (IndexError: return), once per iteration.
    if (tries[self] = 0 \/ waiters = <<>>) { tries[self] := 0; return }
    else { ref[self] := Head(waiters); tries[self] := tries[self] - 1 };
IsAlive_ring:
    \* if head.alive: put, else remove the dead entry and go round.
    if (IsAlive(ref[self])) goto Ring;
Remove_ring:
    RemoveEntry(ref[self]);
    goto CheckHead_ring;
Ring:
    \* head.put(None): the token stays until the head's Park consumes it.
    \* (A waiter that left since IsAlive_ring is Dead: its token is wasted.)
    if (ref[self] # Dead) token[ref[self]] := TRUE;
    ref[self] := Dead;
    tries[self] := 0;
    return;
}

\* Core._drain: popleft until empty, discarding resources, dropping grants.
procedure drain() {
DrainFree:
    if (free = <<>>) return
    else with (i = Head(free)) {
        free := Tail(free);
        if (IsRes(i)) { hands[self] := hands[self] \cup {i}; drained[self] := i }
        else goto DrainFree
    };
Discard_drain:
    \* _abandon: the resource's close(); its unit is dropped.
    live := live \ {drained[self]};
    hands[self] := hands[self] \ {drained[self]};
    drained[self] := None;
    goto DrainFree;
}

\* Core._put_idle, and its copies inlined in PoolGuard.release and
\* AsyncPoolGuard.release.
procedure put_idle(made) {
CheckClosed_put:
    if (closed) {
        \* _abandon: discard (the resource's close()), drop the unit.
        live := live \ {made};
        hands[self] := hands[self] \ {made};
        return
    } else if (Mutant = "CheckWaitersEarly") goto CheckWaiters_early
    else goto PutIdle;
CheckWaiters_early:
    \* Mutant CheckWaitersEarly only: the adder reads `waiters` before its
    \* append (and rings after it if it saw any).
    early[self] := waiters # <<>>;
PutIdle:
    free := Append(free, made);
    hands[self] := hands[self] \ {made};
CheckClosed_drain:
    if (closed) { call drain(); goto CheckWaiters_put };
CheckWaiters_put:
    \* `if self._waiters: ring(self._waiters)`, after the append.
    if (Mutant = "CheckWaitersEarly") {
        if (early[self]) { early[self] := FALSE; call ring(); return }
        else return
    } else if (waiters # <<>>) { call ring(); return }
    else return;
}

\* Core._return_capacity of a bounded pool: all the units in the call.
procedure return_capacity() {
CheckClosed_return:
    if (closed) { units[self] := 0; return };  \* dropped
ReturnGrant:
    free := <<Grant(units[self])>> \o free;
    units[self] := 0;
CheckWaiters_return:
    if (waiters # <<>>) { call ring(); return } else return;
}

\* The clock: any waiter's deadline may pass, at any instant of its wait.
process (clock = Clock) {
Tick:
    while (TRUE) {
        await Timeouts;
        with (c \in {d \in Acquirers : op[d] = "wait" /\ ~expired[d]}) expired[c] := TRUE
    }
}

process (client \in Clients)
variables
    item = None,   \* get(): what the pop took, before CheckWaiters decides
    own = None,    \* waiting(): the resource the head took, in flight to its caller
    back = None;   \* release(): the resource whose reset() failed
{
Idle:
    either { await self \in Getters; op[self] := "get"; goto CheckClosed }
    or { await self \in Acquirers /\ held[self] = {}; op[self] := "acquire"; goto CheckClosed }
    or { await self \in Closers /\ ~closed; op[self] := "close"; goto SetClosed }
    or {
        \* release(): Claim (`self._box.pop()`), then the user's reset().
        await held[self] # {};
        with (r \in held[self]) {
            held[self] := held[self] \ {r};
            hands[self] := hands[self] \cup {r};
            either { call put_idle(r); goto Idle }
            or { await ResetFails; op[self] := "release"; back := r; goto Discard }
        }
    };

\* ---- get(), and acquire()'s first get() ----------------------------------
CheckClosed:
    if (closed) { op[self] := "none"; goto Idle };  \* PoolClosedError
TakeFree:
    \* `held = [item := free.pop()]` (after `if free`).
    if (free = <<>>) goto CheckClosed_empty
    else with (i = Last(free)) {
        free := Front(free);
        if (Mutant = "LateTakes") {
            \* Mutant: get() keeps what it pops, waiters or not.
            bypassed := bypassed \cup {<<self, w>> : w \in Range(waitq)};
            if (IsRes(i)) { held[self] := held[self] \cup {i}; op[self] := "none"; goto Idle }
            else { units[self] := Size(i); goto Create }
        } else {
            item := i;
            popSaw[self] := Range(waitq);
            goto CheckWaiters
        }
    };
CheckWaiters:
    \* `if self._waiters and self._yield(held)`: after the pop, `len` first.
    if (waiters = <<>>) {
        if (IsRes(item)) { KeepItem(); goto Idle } else { KeepItem(); goto Create }
    };
CheckHead_yield:
    \* _yield: `if first_alive(self._waiters) is None: return False`, that is
    \* `first = waiters[0]` (IndexError: nobody waits, keep)...
    if (waiters = <<>>) {
        if (IsRes(item)) { KeepItem(); goto Idle } else { KeepItem(); goto Create }
    } else ref[self] := Head(waiters);
IsAlive_yield:
    \* ... `if first.alive`: a live waiter is owed the item.  Yield: it goes
    \* back where it came from (which rings), and get() returns None;
    \* acquire() then waits.
    if (IsAlive(ref[self])) {
        ref[self] := Dead;
        popSaw[self] := {};
        with (i = item) {
            item := None;
            if (IsRes(i)) {
                hands[self] := hands[self] \cup {i};
                if (op[self] = "acquire") { op[self] := "wait"; call put_idle(i); goto Enqueue }
                else { op[self] := "none"; call put_idle(i); goto Idle }
            } else {
                units[self] := Size(i);
                if (op[self] = "acquire") { op[self] := "wait"; call return_capacity(); goto Enqueue }
                else { op[self] := "none"; call return_capacity(); goto Idle }
            }
        }
    };
Remove_yield:
    \* ... a dead entry in front: waiters.remove(first), and look again.
    RemoveEntry(ref[self]);
    goto CheckHead_yield;
CheckClosed_empty:
    \* After the empty pop: raise if closed; else get() returns None (a miss)
    \* and acquire() waits.
    if (closed \/ op[self] = "get") { op[self] := "none"; goto Idle }
    else { op[self] := "wait"; goto Enqueue };

\* ---- _grow(): the units popped by a get() or by the head -----------------
Create:
    either {
        with (r = Fresh, n = units[self]) {
            live := live \cup {r};
            units[self] := n - 1;
            if (n > 1) {
                \* An extra resource: idle at once (it rings, even the head itself).
                hands[self] := hands[self] \cup {r};
                call put_idle(r);
                goto Create
            } else if (op[self] = "wait") {
                \* The head's own; then waiting()'s finally, then return.
                own := r;
                goto Leave
            } else {
                held[self] := held[self] \cup {r};
                op[self] := "none";
                goto Idle
            }
        }
    } or {
        \* new() raised: the units not made go back as one grant (ReturnGrant).
        await NewFails;
        if (op[self] = "wait") { call return_capacity(); goto Leave }
        else { op[self] := "none"; call return_capacity(); goto Idle }
    };

\* ---- release() after a failed reset(): _retire, _reuse -------------------
Discard:
    \* _discard: the resource's close(); its unit stays in the call.
    live := live \ {back};
    hands[self] := hands[self] \ {back};
    units[self] := 1;
    back := None;
    if (~Static) { op[self] := "none"; call return_capacity(); goto Idle };
CheckClosed_retire:
    \* Static: `... and not self._closed`; a closed pool drops the unit.
    if (closed) { units[self] := 0; op[self] := "none"; goto Idle };
Replace:
    either {
        with (r = Fresh) {
            live := live \cup {r};
            units[self] := 0;
            hands[self] := hands[self] \cup {r};
            op[self] := "none";
            call put_idle(r);
            goto Idle
        }
    } or {
        await NewFails;
        op[self] := "none";
        call return_capacity();
        goto Idle
    };

\* ---- close() -------------------------------------------------------------
SetClosed:
    closed := TRUE;
    call drain();
WakeAll:
    \* ring_all: `if not waiters: return` (Mutant NoWakeAll: close() forgets
    \* its waiters).
    if (waiters = <<>> \/ Mutant = "NoWakeAll") { op[self] := "none"; goto Idle };
WakeAll_copy:
    wake[self] := waiters;
WakeAll_ring:
    \* `for waiter in everyone: waiter.put(None)`.
    if (wake[self] = <<>>) { op[self] := "none"; goto Idle }
    else {
        with (w = Head(wake[self])) { if (w # Dead) token[w] := TRUE };
        wake[self] := Tail(wake[self]);
        goto WakeAll_ring
    };

\* ---- waiting() -----------------------------------------------------------
Enqueue:
    \* waiters.append(waiter) (Mutant LifoWaiters: appendleft).
    waiters := IF Mutant = "LifoWaiters" THEN <<self>> \o waiters ELSE Append(waiters, self);
    waitq := Append(waitq, self);
    alive[self] := TRUE;
    token[self] := FALSE;
ReadClock:
    \* `remaining = ends - clock()`, before the look: what arrives while the
    \* clock is read is found by the look, and the timeout is decided by this
    \* reading (GiveUp).
    late[self] := expired[self];
CheckClosed_wait:
    if (closed) goto Leave;  \* PoolClosedError
CheckHead:
    \* first_alive(waiters) is waiter: `first = waiters[0]`.  Its own entry's
    \* `alive` is read in this step too (only this waiter writes it).
    if (waiters = <<>>) goto GiveUp
    else if (Head(waiters) = self) goto CheckClosed_head
    else ref[self] := Head(waiters);
IsAlive_head:
    \* `if first.alive: return first`: another waiter is the head.
    if (IsAlive(ref[self])) { ref[self] := Dead; goto GiveUp };
Remove_head:
    \* A dead entry in front: waiters.remove(first), and look again.
    RemoveEntry(ref[self]);
    goto CheckHead;
CheckClosed_head:
    \* _take_as_head: `if self._closed: raise`.
    if (closed) goto Leave;
TakeFree_head:
    \* _take_as_head: `held = [free.pop()] if free else None`.  The head keeps
    \* what it pops: a resource becomes its guard (in flight to the caller
    \* until acquire() returns), a grant its growth.
    if (free = <<>>) goto CheckClosed_slow
    else with (i = Last(free)) {
        free := Front(free);
        bypassed := bypassed \cup {<<self, w>> : w \in Ahead(self)};
        waitq := Without(waitq, self);
        if (IsRes(i)) own := i else units[self] := Size(i);
        if (Mutant = "TimeoutDrops") goto CheckDeadline_late
        else if (IsRes(i)) goto Leave
        else goto Create
    };
CheckDeadline_late:
    \* Mutant TimeoutDrops only: a timeout after the pop raises PoolTimeout
    \* with what the head popped still in hand, and drops it.
    if (late[self]) { own := None; units[self] := 0; goto Leave }
    else if (own # None) goto Leave
    else goto Create;
CheckClosed_slow:
    \* _get_slow(head=True) after the empty pop: `if self._closed: raise`;
    \* then (no orphan) a bounded pool returns None.
    if (closed) goto Leave;
GiveUp:
    \* `if remaining <= 0:` `waiter.alive = False`, the timeout's
    \* linearization point (from here on nobody yields to this waiter), then
    \* PoolTimeout.  Otherwise park.
    if (late[self]) { alive[self] := FALSE; waitq := Without(waitq, self); goto Leave };
Park:
    \* waiter.get(timeout=remaining) / await waiter.park(remaining): returns
    \* when rung (consuming the token) or when the deadline passes; or the
    \* park is cancelled or interrupted, and the generator is closed.
    \* A ring is one token, and rings before a park coalesce (AsyncWaiter's
    \* `_rung`); a ThreadWaiter's SimpleQueue counts them, so its park may
    \* also return on an extra token of an earlier ring, as a park capped at
    \* _PARK_MAX returns unrung: Spurious.
    either { await token[self] \/ expired[self] \/ Spurious; token[self] := FALSE; goto ReadClock }
    or { await Cancels; goto Leave };
Leave:
    \* waiting()'s finally: `waiter.alive = False`.
    alive[self] := FALSE;
    waitq := Without(waitq, self);
Leave_remove:
    \* waiters.remove(waiter) (ValueError: removed already as a dead entry).
    \* Nobody can ring this waiter any more: its tokens are forgotten.
    RemoveEntry(self);
    token[self] := FALSE;
PassOn:
    \* `if (pool._free or pool._orphans) and waiters: ring(waiters)`: first
    \* `free` (no orphans in this model)...
    if (free = <<>>) {
        if (own # None) { Finish(); goto Idle } else goto PassOn_again
    };
PassOn_waiters:
    \* ... then `waiters`.  A served waiter's ring is its call's last step:
    \* the caller has its guard from here on.
    if (waiters = <<>>) {
        if (own # None) { Finish(); goto Idle } else goto PassOn_again
    } else if (own # None) { Finish(); call ring(); goto Idle }
    else { call ring(); goto PassOn_again };
PassOn_again:
    \* A wait that raised (timeout, close, cancellation, new()'s error): the
    \* driver's handler (_wait, acquire_async) stores `alive = False` again
    \* (no change) and passes on once more: `free`...
    if (free = <<>>) { Finish(); goto Idle };
PassOn_again_waiters:
    \* ... then `waiters`.
    if (waiters = <<>>) { Finish(); goto Idle }
    else { Finish(); call ring(); goto Idle };
}
} *)
\* BEGIN TRANSLATION
CONSTANT defaultInitValue
VARIABLES pc, free, closed, waiters, alive, token, expired, late, held, hands, 
          units, op, ref, tries, wake, drained, early, live, waitq, popSaw, 
          bypassed, stack

(* define statement *)
Resources(s) == {s[i] : i \in {j \in 1..Len(s) : IsRes(s[j])}}
IdleCount == Cardinality({i \in 1..Len(free) : IsRes(free[i])})
RECURSIVE SpareIn(_)
SpareIn(s) == IF s = <<>> THEN 0
              ELSE (IF IsGrant(Head(s)) THEN Size(Head(s)) ELSE 0) + SpareIn(Tail(s))
Spare == SpareIn(free)
Fresh == CHOOSE r \in 1..(Cardinality(live) + 1) : r \notin live
IsAlive(w) == w # Dead /\ alive[w]

Ahead(c) == IF c \in Range(waitq)
            THEN LET i == CHOOSE i \in 1..Len(waitq) : waitq[i] = c
                 IN {waitq[j] : j \in 1..(i - 1)}
            ELSE Range(waitq)

VARIABLES made, item, own, back

vars == << pc, free, closed, waiters, alive, token, expired, late, held, 
           hands, units, op, ref, tries, wake, drained, early, live, waitq, 
           popSaw, bypassed, stack, made, item, own, back >>

ProcSet == {Clock} \cup (Clients)

Init == (* Global variables *)
        /\ free = InitFree
        /\ closed = FALSE
        /\ waiters = <<>>
        /\ alive = [c \in Clients |-> FALSE]
        /\ token = [c \in Clients |-> FALSE]
        /\ expired = [c \in Clients |-> FALSE]
        /\ late = [c \in Clients |-> FALSE]
        /\ held = [c \in Clients |-> {}]
        /\ hands = [c \in Clients |-> {}]
        /\ units = [c \in Clients |-> 0]
        /\ op = [c \in Clients |-> "none"]
        /\ ref = [c \in Clients |-> Dead]
        /\ tries = [c \in Clients |-> 0]
        /\ wake = [c \in Clients |-> <<>>]
        /\ drained = [c \in Clients |-> None]
        /\ early = [c \in Clients |-> FALSE]
        /\ live = 1..InitialCount
        /\ waitq = <<>>
        /\ popSaw = [c \in Clients |-> {}]
        /\ bypassed = {}
        (* Procedure put_idle *)
        /\ made = [ self \in ProcSet |-> defaultInitValue]
        (* Process client *)
        /\ item = [self \in Clients |-> None]
        /\ own = [self \in Clients |-> None]
        /\ back = [self \in Clients |-> None]
        /\ stack = [self \in ProcSet |-> << >>]
        /\ pc = [self \in ProcSet |-> CASE self = Clock -> "Tick"
                                        [] self \in Clients -> "Idle"]

Ring_len(self) == /\ pc[self] = "Ring_len"
                  /\ tries' = [tries EXCEPT ![self] = Len(waiters) + 1]
                  /\ pc' = [pc EXCEPT ![self] = "CheckHead_ring"]
                  /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                                  late, held, hands, units, op, ref, wake, 
                                  drained, early, live, waitq, popSaw, 
                                  bypassed, stack, made, item, own, back >>

CheckHead_ring(self) == /\ pc[self] = "CheckHead_ring"
                        /\ IF tries[self] = 0 \/ waiters = <<>>
                              THEN /\ tries' = [tries EXCEPT ![self] = 0]
                                   /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                   /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                   /\ ref' = ref
                              ELSE /\ ref' = [ref EXCEPT ![self] = Head(waiters)]
                                   /\ tries' = [tries EXCEPT ![self] = tries[self] - 1]
                                   /\ pc' = [pc EXCEPT ![self] = "IsAlive_ring"]
                                   /\ stack' = stack
                        /\ UNCHANGED << free, closed, waiters, alive, token, 
                                        expired, late, held, hands, units, op, 
                                        wake, drained, early, live, waitq, 
                                        popSaw, bypassed, made, item, own, 
                                        back >>

IsAlive_ring(self) == /\ pc[self] = "IsAlive_ring"
                      /\ IF IsAlive(ref[self])
                            THEN /\ pc' = [pc EXCEPT ![self] = "Ring"]
                            ELSE /\ pc' = [pc EXCEPT ![self] = "Remove_ring"]
                      /\ UNCHANGED << free, closed, waiters, alive, token, 
                                      expired, late, held, hands, units, op, 
                                      ref, tries, wake, drained, early, live, 
                                      waitq, popSaw, bypassed, stack, made, 
                                      item, own, back >>

Remove_ring(self) == /\ pc[self] = "Remove_ring"
                     /\ IF (ref[self]) \in Range(waiters)
                           THEN /\ waiters' = Without(waiters, (ref[self]))
                                /\ ref' = [c \in Clients |-> IF ref[c] = (ref[self]) THEN Dead ELSE ref[c]]
                                /\ wake' = [c \in Clients |-> [i \in DOMAIN wake[c] |->
                                               IF wake[c][i] = (ref'[self]) THEN Dead ELSE wake[c][i]]]
                           ELSE /\ TRUE
                                /\ UNCHANGED << waiters, ref, wake >>
                     /\ pc' = [pc EXCEPT ![self] = "CheckHead_ring"]
                     /\ UNCHANGED << free, closed, alive, token, expired, late, 
                                     held, hands, units, op, tries, drained, 
                                     early, live, waitq, popSaw, bypassed, 
                                     stack, made, item, own, back >>

Ring(self) == /\ pc[self] = "Ring"
              /\ IF ref[self] # Dead
                    THEN /\ token' = [token EXCEPT ![ref[self]] = TRUE]
                    ELSE /\ TRUE
                         /\ token' = token
              /\ ref' = [ref EXCEPT ![self] = Dead]
              /\ tries' = [tries EXCEPT ![self] = 0]
              /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
              /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
              /\ UNCHANGED << free, closed, waiters, alive, expired, late, 
                              held, hands, units, op, wake, drained, early, 
                              live, waitq, popSaw, bypassed, made, item, own, 
                              back >>

ring(self) == Ring_len(self) \/ CheckHead_ring(self) \/ IsAlive_ring(self)
                 \/ Remove_ring(self) \/ Ring(self)

DrainFree(self) == /\ pc[self] = "DrainFree"
                   /\ IF free = <<>>
                         THEN /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                              /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                              /\ UNCHANGED << free, hands, drained >>
                         ELSE /\ LET i == Head(free) IN
                                   /\ free' = Tail(free)
                                   /\ IF IsRes(i)
                                         THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {i}]
                                              /\ drained' = [drained EXCEPT ![self] = i]
                                              /\ pc' = [pc EXCEPT ![self] = "Discard_drain"]
                                         ELSE /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                                              /\ UNCHANGED << hands, drained >>
                              /\ stack' = stack
                   /\ UNCHANGED << closed, waiters, alive, token, expired, 
                                   late, held, units, op, ref, tries, wake, 
                                   early, live, waitq, popSaw, bypassed, made, 
                                   item, own, back >>

Discard_drain(self) == /\ pc[self] = "Discard_drain"
                       /\ live' = live \ {drained[self]}
                       /\ hands' = [hands EXCEPT ![self] = hands[self] \ {drained[self]}]
                       /\ drained' = [drained EXCEPT ![self] = None]
                       /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                       /\ UNCHANGED << free, closed, waiters, alive, token, 
                                       expired, late, held, units, op, ref, 
                                       tries, wake, early, waitq, popSaw, 
                                       bypassed, stack, made, item, own, back >>

drain(self) == DrainFree(self) \/ Discard_drain(self)

CheckClosed_put(self) == /\ pc[self] = "CheckClosed_put"
                         /\ IF closed
                               THEN /\ live' = live \ {made[self]}
                                    /\ hands' = [hands EXCEPT ![self] = hands[self] \ {made[self]}]
                                    /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                    /\ made' = [made EXCEPT ![self] = Head(stack[self]).made]
                                    /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                               ELSE /\ IF Mutant = "CheckWaitersEarly"
                                          THEN /\ pc' = [pc EXCEPT ![self] = "CheckWaiters_early"]
                                          ELSE /\ pc' = [pc EXCEPT ![self] = "PutIdle"]
                                    /\ UNCHANGED << hands, live, stack, made >>
                         /\ UNCHANGED << free, closed, waiters, alive, token, 
                                         expired, late, held, units, op, ref, 
                                         tries, wake, drained, early, waitq, 
                                         popSaw, bypassed, item, own, back >>

CheckWaiters_early(self) == /\ pc[self] = "CheckWaiters_early"
                            /\ early' = [early EXCEPT ![self] = waiters # <<>>]
                            /\ pc' = [pc EXCEPT ![self] = "PutIdle"]
                            /\ UNCHANGED << free, closed, waiters, alive, 
                                            token, expired, late, held, hands, 
                                            units, op, ref, tries, wake, 
                                            drained, live, waitq, popSaw, 
                                            bypassed, stack, made, item, own, 
                                            back >>

PutIdle(self) == /\ pc[self] = "PutIdle"
                 /\ free' = Append(free, made[self])
                 /\ hands' = [hands EXCEPT ![self] = hands[self] \ {made[self]}]
                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_drain"]
                 /\ UNCHANGED << closed, waiters, alive, token, expired, late, 
                                 held, units, op, ref, tries, wake, drained, 
                                 early, live, waitq, popSaw, bypassed, stack, 
                                 made, item, own, back >>

CheckClosed_drain(self) == /\ pc[self] = "CheckClosed_drain"
                           /\ IF closed
                                 THEN /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "drain",
                                                                               pc        |->  "CheckWaiters_put" ] >>
                                                                           \o stack[self]]
                                      /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                                 ELSE /\ pc' = [pc EXCEPT ![self] = "CheckWaiters_put"]
                                      /\ stack' = stack
                           /\ UNCHANGED << free, closed, waiters, alive, token, 
                                           expired, late, held, hands, units, 
                                           op, ref, tries, wake, drained, 
                                           early, live, waitq, popSaw, 
                                           bypassed, made, item, own, back >>

CheckWaiters_put(self) == /\ pc[self] = "CheckWaiters_put"
                          /\ IF Mutant = "CheckWaitersEarly"
                                THEN /\ IF early[self]
                                           THEN /\ early' = [early EXCEPT ![self] = FALSE]
                                                /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                         pc        |->  Head(stack[self]).pc ] >>
                                                                                     \o Tail(stack[self])]
                                                /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                                                /\ made' = made
                                           ELSE /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                                /\ made' = [made EXCEPT ![self] = Head(stack[self]).made]
                                                /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                                /\ early' = early
                                ELSE /\ IF waiters # <<>>
                                           THEN /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                         pc        |->  Head(stack[self]).pc ] >>
                                                                                     \o Tail(stack[self])]
                                                /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                                                /\ made' = made
                                           ELSE /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                                /\ made' = [made EXCEPT ![self] = Head(stack[self]).made]
                                                /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                     /\ early' = early
                          /\ UNCHANGED << free, closed, waiters, alive, token, 
                                          expired, late, held, hands, units, 
                                          op, ref, tries, wake, drained, live, 
                                          waitq, popSaw, bypassed, item, own, 
                                          back >>

put_idle(self) == CheckClosed_put(self) \/ CheckWaiters_early(self)
                     \/ PutIdle(self) \/ CheckClosed_drain(self)
                     \/ CheckWaiters_put(self)

CheckClosed_return(self) == /\ pc[self] = "CheckClosed_return"
                            /\ IF closed
                                  THEN /\ units' = [units EXCEPT ![self] = 0]
                                       /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                       /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                                  ELSE /\ pc' = [pc EXCEPT ![self] = "ReturnGrant"]
                                       /\ UNCHANGED << units, stack >>
                            /\ UNCHANGED << free, closed, waiters, alive, 
                                            token, expired, late, held, hands, 
                                            op, ref, tries, wake, drained, 
                                            early, live, waitq, popSaw, 
                                            bypassed, made, item, own, back >>

ReturnGrant(self) == /\ pc[self] = "ReturnGrant"
                     /\ free' = <<Grant(units[self])>> \o free
                     /\ units' = [units EXCEPT ![self] = 0]
                     /\ pc' = [pc EXCEPT ![self] = "CheckWaiters_return"]
                     /\ UNCHANGED << closed, waiters, alive, token, expired, 
                                     late, held, hands, op, ref, tries, wake, 
                                     drained, early, live, waitq, popSaw, 
                                     bypassed, stack, made, item, own, back >>

CheckWaiters_return(self) == /\ pc[self] = "CheckWaiters_return"
                             /\ IF waiters # <<>>
                                   THEN /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                 pc        |->  Head(stack[self]).pc ] >>
                                                                             \o Tail(stack[self])]
                                        /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                                   ELSE /\ pc' = [pc EXCEPT ![self] = Head(stack[self]).pc]
                                        /\ stack' = [stack EXCEPT ![self] = Tail(stack[self])]
                             /\ UNCHANGED << free, closed, waiters, alive, 
                                             token, expired, late, held, hands, 
                                             units, op, ref, tries, wake, 
                                             drained, early, live, waitq, 
                                             popSaw, bypassed, made, item, own, 
                                             back >>

return_capacity(self) == CheckClosed_return(self) \/ ReturnGrant(self)
                            \/ CheckWaiters_return(self)

Tick == /\ pc[Clock] = "Tick"
        /\ Timeouts
        /\ \E c \in {d \in Acquirers : op[d] = "wait" /\ ~expired[d]}:
             expired' = [expired EXCEPT ![c] = TRUE]
        /\ pc' = [pc EXCEPT ![Clock] = "Tick"]
        /\ UNCHANGED << free, closed, waiters, alive, token, late, held, hands, 
                        units, op, ref, tries, wake, drained, early, live, 
                        waitq, popSaw, bypassed, stack, made, item, own, back >>

clock == Tick

Idle(self) == /\ pc[self] = "Idle"
              /\ \/ /\ self \in Getters
                    /\ op' = [op EXCEPT ![self] = "get"]
                    /\ pc' = [pc EXCEPT ![self] = "CheckClosed"]
                    /\ UNCHANGED <<held, hands, stack, made, back>>
                 \/ /\ self \in Acquirers /\ held[self] = {}
                    /\ op' = [op EXCEPT ![self] = "acquire"]
                    /\ pc' = [pc EXCEPT ![self] = "CheckClosed"]
                    /\ UNCHANGED <<held, hands, stack, made, back>>
                 \/ /\ self \in Closers /\ ~closed
                    /\ op' = [op EXCEPT ![self] = "close"]
                    /\ pc' = [pc EXCEPT ![self] = "SetClosed"]
                    /\ UNCHANGED <<held, hands, stack, made, back>>
                 \/ /\ held[self] # {}
                    /\ \E r \in held[self]:
                         /\ held' = [held EXCEPT ![self] = held[self] \ {r}]
                         /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                         /\ \/ /\ /\ made' = [made EXCEPT ![self] = r]
                                  /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                           pc        |->  "Idle",
                                                                           made      |->  made[self] ] >>
                                                                       \o stack[self]]
                               /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                               /\ UNCHANGED <<op, back>>
                            \/ /\ ResetFails
                               /\ op' = [op EXCEPT ![self] = "release"]
                               /\ back' = [back EXCEPT ![self] = r]
                               /\ pc' = [pc EXCEPT ![self] = "Discard"]
                               /\ UNCHANGED <<stack, made>>
              /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                              late, units, ref, tries, wake, drained, early, 
                              live, waitq, popSaw, bypassed, item, own >>

CheckClosed(self) == /\ pc[self] = "CheckClosed"
                     /\ IF closed
                           THEN /\ op' = [op EXCEPT ![self] = "none"]
                                /\ pc' = [pc EXCEPT ![self] = "Idle"]
                           ELSE /\ pc' = [pc EXCEPT ![self] = "TakeFree"]
                                /\ op' = op
                     /\ UNCHANGED << free, closed, waiters, alive, token, 
                                     expired, late, held, hands, units, ref, 
                                     tries, wake, drained, early, live, waitq, 
                                     popSaw, bypassed, stack, made, item, own, 
                                     back >>

TakeFree(self) == /\ pc[self] = "TakeFree"
                  /\ IF free = <<>>
                        THEN /\ pc' = [pc EXCEPT ![self] = "CheckClosed_empty"]
                             /\ UNCHANGED << free, held, units, op, popSaw, 
                                             bypassed, item >>
                        ELSE /\ LET i == Last(free) IN
                                  /\ free' = Front(free)
                                  /\ IF Mutant = "LateTakes"
                                        THEN /\ bypassed' = (bypassed \cup {<<self, w>> : w \in Range(waitq)})
                                             /\ IF IsRes(i)
                                                   THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {i}]
                                                        /\ op' = [op EXCEPT ![self] = "none"]
                                                        /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                                        /\ units' = units
                                                   ELSE /\ units' = [units EXCEPT ![self] = Size(i)]
                                                        /\ pc' = [pc EXCEPT ![self] = "Create"]
                                                        /\ UNCHANGED << held, 
                                                                        op >>
                                             /\ UNCHANGED << popSaw, item >>
                                        ELSE /\ item' = [item EXCEPT ![self] = i]
                                             /\ popSaw' = [popSaw EXCEPT ![self] = Range(waitq)]
                                             /\ pc' = [pc EXCEPT ![self] = "CheckWaiters"]
                                             /\ UNCHANGED << held, units, op, 
                                                             bypassed >>
                  /\ UNCHANGED << closed, waiters, alive, token, expired, late, 
                                  hands, ref, tries, wake, drained, early, 
                                  live, waitq, stack, made, own, back >>

CheckWaiters(self) == /\ pc[self] = "CheckWaiters"
                      /\ IF waiters = <<>>
                            THEN /\ IF IsRes(item[self])
                                       THEN /\ bypassed' = (bypassed \cup {<<self, w>> : w \in popSaw[self] \cap Range(waitq)})
                                            /\ popSaw' = [popSaw EXCEPT ![self] = {}]
                                            /\ IF IsRes(item[self])
                                                  THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {item[self]}]
                                                       /\ op' = [op EXCEPT ![self] = "none"]
                                                       /\ units' = units
                                                  ELSE /\ units' = [units EXCEPT ![self] = Size(item[self])]
                                                       /\ UNCHANGED << held, 
                                                                       op >>
                                            /\ item' = [item EXCEPT ![self] = None]
                                            /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                       ELSE /\ bypassed' = (bypassed \cup {<<self, w>> : w \in popSaw[self] \cap Range(waitq)})
                                            /\ popSaw' = [popSaw EXCEPT ![self] = {}]
                                            /\ IF IsRes(item[self])
                                                  THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {item[self]}]
                                                       /\ op' = [op EXCEPT ![self] = "none"]
                                                       /\ units' = units
                                                  ELSE /\ units' = [units EXCEPT ![self] = Size(item[self])]
                                                       /\ UNCHANGED << held, 
                                                                       op >>
                                            /\ item' = [item EXCEPT ![self] = None]
                                            /\ pc' = [pc EXCEPT ![self] = "Create"]
                            ELSE /\ pc' = [pc EXCEPT ![self] = "CheckHead_yield"]
                                 /\ UNCHANGED << held, units, op, popSaw, 
                                                 bypassed, item >>
                      /\ UNCHANGED << free, closed, waiters, alive, token, 
                                      expired, late, hands, ref, tries, wake, 
                                      drained, early, live, waitq, stack, made, 
                                      own, back >>

CheckHead_yield(self) == /\ pc[self] = "CheckHead_yield"
                         /\ IF waiters = <<>>
                               THEN /\ IF IsRes(item[self])
                                          THEN /\ bypassed' = (bypassed \cup {<<self, w>> : w \in popSaw[self] \cap Range(waitq)})
                                               /\ popSaw' = [popSaw EXCEPT ![self] = {}]
                                               /\ IF IsRes(item[self])
                                                     THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {item[self]}]
                                                          /\ op' = [op EXCEPT ![self] = "none"]
                                                          /\ units' = units
                                                     ELSE /\ units' = [units EXCEPT ![self] = Size(item[self])]
                                                          /\ UNCHANGED << held, 
                                                                          op >>
                                               /\ item' = [item EXCEPT ![self] = None]
                                               /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                          ELSE /\ bypassed' = (bypassed \cup {<<self, w>> : w \in popSaw[self] \cap Range(waitq)})
                                               /\ popSaw' = [popSaw EXCEPT ![self] = {}]
                                               /\ IF IsRes(item[self])
                                                     THEN /\ held' = [held EXCEPT ![self] = held[self] \cup {item[self]}]
                                                          /\ op' = [op EXCEPT ![self] = "none"]
                                                          /\ units' = units
                                                     ELSE /\ units' = [units EXCEPT ![self] = Size(item[self])]
                                                          /\ UNCHANGED << held, 
                                                                          op >>
                                               /\ item' = [item EXCEPT ![self] = None]
                                               /\ pc' = [pc EXCEPT ![self] = "Create"]
                                    /\ ref' = ref
                               ELSE /\ ref' = [ref EXCEPT ![self] = Head(waiters)]
                                    /\ pc' = [pc EXCEPT ![self] = "IsAlive_yield"]
                                    /\ UNCHANGED << held, units, op, popSaw, 
                                                    bypassed, item >>
                         /\ UNCHANGED << free, closed, waiters, alive, token, 
                                         expired, late, hands, tries, wake, 
                                         drained, early, live, waitq, stack, 
                                         made, own, back >>

IsAlive_yield(self) == /\ pc[self] = "IsAlive_yield"
                       /\ IF IsAlive(ref[self])
                             THEN /\ ref' = [ref EXCEPT ![self] = Dead]
                                  /\ popSaw' = [popSaw EXCEPT ![self] = {}]
                                  /\ LET i == item[self] IN
                                       /\ item' = [item EXCEPT ![self] = None]
                                       /\ IF IsRes(i)
                                             THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {i}]
                                                  /\ IF op[self] = "acquire"
                                                        THEN /\ op' = [op EXCEPT ![self] = "wait"]
                                                             /\ /\ made' = [made EXCEPT ![self] = i]
                                                                /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                                                         pc        |->  "Enqueue",
                                                                                                         made      |->  made[self] ] >>
                                                                                                     \o stack[self]]
                                                             /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                                        ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                             /\ /\ made' = [made EXCEPT ![self] = i]
                                                                /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                                                         pc        |->  "Idle",
                                                                                                         made      |->  made[self] ] >>
                                                                                                     \o stack[self]]
                                                             /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                                  /\ units' = units
                                             ELSE /\ units' = [units EXCEPT ![self] = Size(i)]
                                                  /\ IF op[self] = "acquire"
                                                        THEN /\ op' = [op EXCEPT ![self] = "wait"]
                                                             /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                                      pc        |->  "Enqueue" ] >>
                                                                                                  \o stack[self]]
                                                             /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                        ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                                             /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                                                      pc        |->  "Idle" ] >>
                                                                                                  \o stack[self]]
                                                             /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                                  /\ UNCHANGED << hands, made >>
                             ELSE /\ pc' = [pc EXCEPT ![self] = "Remove_yield"]
                                  /\ UNCHANGED << hands, units, op, ref, 
                                                  popSaw, stack, made, item >>
                       /\ UNCHANGED << free, closed, waiters, alive, token, 
                                       expired, late, held, tries, wake, 
                                       drained, early, live, waitq, bypassed, 
                                       own, back >>

Remove_yield(self) == /\ pc[self] = "Remove_yield"
                      /\ IF (ref[self]) \in Range(waiters)
                            THEN /\ waiters' = Without(waiters, (ref[self]))
                                 /\ ref' = [c \in Clients |-> IF ref[c] = (ref[self]) THEN Dead ELSE ref[c]]
                                 /\ wake' = [c \in Clients |-> [i \in DOMAIN wake[c] |->
                                                IF wake[c][i] = (ref'[self]) THEN Dead ELSE wake[c][i]]]
                            ELSE /\ TRUE
                                 /\ UNCHANGED << waiters, ref, wake >>
                      /\ pc' = [pc EXCEPT ![self] = "CheckHead_yield"]
                      /\ UNCHANGED << free, closed, alive, token, expired, 
                                      late, held, hands, units, op, tries, 
                                      drained, early, live, waitq, popSaw, 
                                      bypassed, stack, made, item, own, back >>

CheckClosed_empty(self) == /\ pc[self] = "CheckClosed_empty"
                           /\ IF closed \/ op[self] = "get"
                                 THEN /\ op' = [op EXCEPT ![self] = "none"]
                                      /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                 ELSE /\ op' = [op EXCEPT ![self] = "wait"]
                                      /\ pc' = [pc EXCEPT ![self] = "Enqueue"]
                           /\ UNCHANGED << free, closed, waiters, alive, token, 
                                           expired, late, held, hands, units, 
                                           ref, tries, wake, drained, early, 
                                           live, waitq, popSaw, bypassed, 
                                           stack, made, item, own, back >>

Create(self) == /\ pc[self] = "Create"
                /\ \/ /\ LET r == Fresh IN
                           LET n == units[self] IN
                             /\ live' = (live \cup {r})
                             /\ units' = [units EXCEPT ![self] = n - 1]
                             /\ IF n > 1
                                   THEN /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                                        /\ /\ made' = [made EXCEPT ![self] = r]
                                           /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                                    pc        |->  "Create",
                                                                                    made      |->  made[self] ] >>
                                                                                \o stack[self]]
                                        /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                                        /\ UNCHANGED << held, op, own >>
                                   ELSE /\ IF op[self] = "wait"
                                              THEN /\ own' = [own EXCEPT ![self] = r]
                                                   /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                                   /\ UNCHANGED << held, op >>
                                              ELSE /\ held' = [held EXCEPT ![self] = held[self] \cup {r}]
                                                   /\ op' = [op EXCEPT ![self] = "none"]
                                                   /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                                   /\ own' = own
                                        /\ UNCHANGED << hands, stack, made >>
                   \/ /\ NewFails
                      /\ IF op[self] = "wait"
                            THEN /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                          pc        |->  "Leave" ] >>
                                                                      \o stack[self]]
                                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                                 /\ op' = op
                            ELSE /\ op' = [op EXCEPT ![self] = "none"]
                                 /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                          pc        |->  "Idle" ] >>
                                                                      \o stack[self]]
                                 /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                      /\ UNCHANGED <<held, hands, units, live, made, own>>
                /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                                late, ref, tries, wake, drained, early, waitq, 
                                popSaw, bypassed, item, back >>

Discard(self) == /\ pc[self] = "Discard"
                 /\ live' = live \ {back[self]}
                 /\ hands' = [hands EXCEPT ![self] = hands[self] \ {back[self]}]
                 /\ units' = [units EXCEPT ![self] = 1]
                 /\ back' = [back EXCEPT ![self] = None]
                 /\ IF ~Static
                       THEN /\ op' = [op EXCEPT ![self] = "none"]
                            /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                     pc        |->  "Idle" ] >>
                                                                 \o stack[self]]
                            /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                       ELSE /\ pc' = [pc EXCEPT ![self] = "CheckClosed_retire"]
                            /\ UNCHANGED << op, stack >>
                 /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                                 late, held, ref, tries, wake, drained, early, 
                                 waitq, popSaw, bypassed, made, item, own >>

CheckClosed_retire(self) == /\ pc[self] = "CheckClosed_retire"
                            /\ IF closed
                                  THEN /\ units' = [units EXCEPT ![self] = 0]
                                       /\ op' = [op EXCEPT ![self] = "none"]
                                       /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                  ELSE /\ pc' = [pc EXCEPT ![self] = "Replace"]
                                       /\ UNCHANGED << units, op >>
                            /\ UNCHANGED << free, closed, waiters, alive, 
                                            token, expired, late, held, hands, 
                                            ref, tries, wake, drained, early, 
                                            live, waitq, popSaw, bypassed, 
                                            stack, made, item, own, back >>

Replace(self) == /\ pc[self] = "Replace"
                 /\ \/ /\ LET r == Fresh IN
                            /\ live' = (live \cup {r})
                            /\ units' = [units EXCEPT ![self] = 0]
                            /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                            /\ op' = [op EXCEPT ![self] = "none"]
                            /\ /\ made' = [made EXCEPT ![self] = r]
                               /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "put_idle",
                                                                        pc        |->  "Idle",
                                                                        made      |->  made[self] ] >>
                                                                    \o stack[self]]
                            /\ pc' = [pc EXCEPT ![self] = "CheckClosed_put"]
                    \/ /\ NewFails
                       /\ op' = [op EXCEPT ![self] = "none"]
                       /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "return_capacity",
                                                                pc        |->  "Idle" ] >>
                                                            \o stack[self]]
                       /\ pc' = [pc EXCEPT ![self] = "CheckClosed_return"]
                       /\ UNCHANGED <<hands, units, live, made>>
                 /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                                 late, held, ref, tries, wake, drained, early, 
                                 waitq, popSaw, bypassed, item, own, back >>

SetClosed(self) == /\ pc[self] = "SetClosed"
                   /\ closed' = TRUE
                   /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "drain",
                                                            pc        |->  "WakeAll" ] >>
                                                        \o stack[self]]
                   /\ pc' = [pc EXCEPT ![self] = "DrainFree"]
                   /\ UNCHANGED << free, waiters, alive, token, expired, late, 
                                   held, hands, units, op, ref, tries, wake, 
                                   drained, early, live, waitq, popSaw, 
                                   bypassed, made, item, own, back >>

WakeAll(self) == /\ pc[self] = "WakeAll"
                 /\ IF waiters = <<>> \/ Mutant = "NoWakeAll"
                       THEN /\ op' = [op EXCEPT ![self] = "none"]
                            /\ pc' = [pc EXCEPT ![self] = "Idle"]
                       ELSE /\ pc' = [pc EXCEPT ![self] = "WakeAll_copy"]
                            /\ op' = op
                 /\ UNCHANGED << free, closed, waiters, alive, token, expired, 
                                 late, held, hands, units, ref, tries, wake, 
                                 drained, early, live, waitq, popSaw, bypassed, 
                                 stack, made, item, own, back >>

WakeAll_copy(self) == /\ pc[self] = "WakeAll_copy"
                      /\ wake' = [wake EXCEPT ![self] = waiters]
                      /\ pc' = [pc EXCEPT ![self] = "WakeAll_ring"]
                      /\ UNCHANGED << free, closed, waiters, alive, token, 
                                      expired, late, held, hands, units, op, 
                                      ref, tries, drained, early, live, waitq, 
                                      popSaw, bypassed, stack, made, item, own, 
                                      back >>

WakeAll_ring(self) == /\ pc[self] = "WakeAll_ring"
                      /\ IF wake[self] = <<>>
                            THEN /\ op' = [op EXCEPT ![self] = "none"]
                                 /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                 /\ UNCHANGED << token, wake >>
                            ELSE /\ LET w == Head(wake[self]) IN
                                      IF w # Dead
                                         THEN /\ token' = [token EXCEPT ![w] = TRUE]
                                         ELSE /\ TRUE
                                              /\ token' = token
                                 /\ wake' = [wake EXCEPT ![self] = Tail(wake[self])]
                                 /\ pc' = [pc EXCEPT ![self] = "WakeAll_ring"]
                                 /\ op' = op
                      /\ UNCHANGED << free, closed, waiters, alive, expired, 
                                      late, held, hands, units, ref, tries, 
                                      drained, early, live, waitq, popSaw, 
                                      bypassed, stack, made, item, own, back >>

Enqueue(self) == /\ pc[self] = "Enqueue"
                 /\ waiters' = (IF Mutant = "LifoWaiters" THEN <<self>> \o waiters ELSE Append(waiters, self))
                 /\ waitq' = Append(waitq, self)
                 /\ alive' = [alive EXCEPT ![self] = TRUE]
                 /\ token' = [token EXCEPT ![self] = FALSE]
                 /\ pc' = [pc EXCEPT ![self] = "ReadClock"]
                 /\ UNCHANGED << free, closed, expired, late, held, hands, 
                                 units, op, ref, tries, wake, drained, early, 
                                 live, popSaw, bypassed, stack, made, item, 
                                 own, back >>

ReadClock(self) == /\ pc[self] = "ReadClock"
                   /\ late' = [late EXCEPT ![self] = expired[self]]
                   /\ pc' = [pc EXCEPT ![self] = "CheckClosed_wait"]
                   /\ UNCHANGED << free, closed, waiters, alive, token, 
                                   expired, held, hands, units, op, ref, tries, 
                                   wake, drained, early, live, waitq, popSaw, 
                                   bypassed, stack, made, item, own, back >>

CheckClosed_wait(self) == /\ pc[self] = "CheckClosed_wait"
                          /\ IF closed
                                THEN /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                ELSE /\ pc' = [pc EXCEPT ![self] = "CheckHead"]
                          /\ UNCHANGED << free, closed, waiters, alive, token, 
                                          expired, late, held, hands, units, 
                                          op, ref, tries, wake, drained, early, 
                                          live, waitq, popSaw, bypassed, stack, 
                                          made, item, own, back >>

CheckHead(self) == /\ pc[self] = "CheckHead"
                   /\ IF waiters = <<>>
                         THEN /\ pc' = [pc EXCEPT ![self] = "GiveUp"]
                              /\ ref' = ref
                         ELSE /\ IF Head(waiters) = self
                                    THEN /\ pc' = [pc EXCEPT ![self] = "CheckClosed_head"]
                                         /\ ref' = ref
                                    ELSE /\ ref' = [ref EXCEPT ![self] = Head(waiters)]
                                         /\ pc' = [pc EXCEPT ![self] = "IsAlive_head"]
                   /\ UNCHANGED << free, closed, waiters, alive, token, 
                                   expired, late, held, hands, units, op, 
                                   tries, wake, drained, early, live, waitq, 
                                   popSaw, bypassed, stack, made, item, own, 
                                   back >>

IsAlive_head(self) == /\ pc[self] = "IsAlive_head"
                      /\ IF IsAlive(ref[self])
                            THEN /\ ref' = [ref EXCEPT ![self] = Dead]
                                 /\ pc' = [pc EXCEPT ![self] = "GiveUp"]
                            ELSE /\ pc' = [pc EXCEPT ![self] = "Remove_head"]
                                 /\ ref' = ref
                      /\ UNCHANGED << free, closed, waiters, alive, token, 
                                      expired, late, held, hands, units, op, 
                                      tries, wake, drained, early, live, waitq, 
                                      popSaw, bypassed, stack, made, item, own, 
                                      back >>

Remove_head(self) == /\ pc[self] = "Remove_head"
                     /\ IF (ref[self]) \in Range(waiters)
                           THEN /\ waiters' = Without(waiters, (ref[self]))
                                /\ ref' = [c \in Clients |-> IF ref[c] = (ref[self]) THEN Dead ELSE ref[c]]
                                /\ wake' = [c \in Clients |-> [i \in DOMAIN wake[c] |->
                                               IF wake[c][i] = (ref'[self]) THEN Dead ELSE wake[c][i]]]
                           ELSE /\ TRUE
                                /\ UNCHANGED << waiters, ref, wake >>
                     /\ pc' = [pc EXCEPT ![self] = "CheckHead"]
                     /\ UNCHANGED << free, closed, alive, token, expired, late, 
                                     held, hands, units, op, tries, drained, 
                                     early, live, waitq, popSaw, bypassed, 
                                     stack, made, item, own, back >>

CheckClosed_head(self) == /\ pc[self] = "CheckClosed_head"
                          /\ IF closed
                                THEN /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                ELSE /\ pc' = [pc EXCEPT ![self] = "TakeFree_head"]
                          /\ UNCHANGED << free, closed, waiters, alive, token, 
                                          expired, late, held, hands, units, 
                                          op, ref, tries, wake, drained, early, 
                                          live, waitq, popSaw, bypassed, stack, 
                                          made, item, own, back >>

TakeFree_head(self) == /\ pc[self] = "TakeFree_head"
                       /\ IF free = <<>>
                             THEN /\ pc' = [pc EXCEPT ![self] = "CheckClosed_slow"]
                                  /\ UNCHANGED << free, units, waitq, bypassed, 
                                                  own >>
                             ELSE /\ LET i == Last(free) IN
                                       /\ free' = Front(free)
                                       /\ bypassed' = (bypassed \cup {<<self, w>> : w \in Ahead(self)})
                                       /\ waitq' = Without(waitq, self)
                                       /\ IF IsRes(i)
                                             THEN /\ own' = [own EXCEPT ![self] = i]
                                                  /\ units' = units
                                             ELSE /\ units' = [units EXCEPT ![self] = Size(i)]
                                                  /\ own' = own
                                       /\ IF Mutant = "TimeoutDrops"
                                             THEN /\ pc' = [pc EXCEPT ![self] = "CheckDeadline_late"]
                                             ELSE /\ IF IsRes(i)
                                                        THEN /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                                        ELSE /\ pc' = [pc EXCEPT ![self] = "Create"]
                       /\ UNCHANGED << closed, waiters, alive, token, expired, 
                                       late, held, hands, op, ref, tries, wake, 
                                       drained, early, live, popSaw, stack, 
                                       made, item, back >>

CheckDeadline_late(self) == /\ pc[self] = "CheckDeadline_late"
                            /\ IF late[self]
                                  THEN /\ own' = [own EXCEPT ![self] = None]
                                       /\ units' = [units EXCEPT ![self] = 0]
                                       /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                  ELSE /\ IF own[self] # None
                                             THEN /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                             ELSE /\ pc' = [pc EXCEPT ![self] = "Create"]
                                       /\ UNCHANGED << units, own >>
                            /\ UNCHANGED << free, closed, waiters, alive, 
                                            token, expired, late, held, hands, 
                                            op, ref, tries, wake, drained, 
                                            early, live, waitq, popSaw, 
                                            bypassed, stack, made, item, back >>

CheckClosed_slow(self) == /\ pc[self] = "CheckClosed_slow"
                          /\ IF closed
                                THEN /\ pc' = [pc EXCEPT ![self] = "Leave"]
                                ELSE /\ pc' = [pc EXCEPT ![self] = "GiveUp"]
                          /\ UNCHANGED << free, closed, waiters, alive, token, 
                                          expired, late, held, hands, units, 
                                          op, ref, tries, wake, drained, early, 
                                          live, waitq, popSaw, bypassed, stack, 
                                          made, item, own, back >>

GiveUp(self) == /\ pc[self] = "GiveUp"
                /\ IF late[self]
                      THEN /\ alive' = [alive EXCEPT ![self] = FALSE]
                           /\ waitq' = Without(waitq, self)
                           /\ pc' = [pc EXCEPT ![self] = "Leave"]
                      ELSE /\ pc' = [pc EXCEPT ![self] = "Park"]
                           /\ UNCHANGED << alive, waitq >>
                /\ UNCHANGED << free, closed, waiters, token, expired, late, 
                                held, hands, units, op, ref, tries, wake, 
                                drained, early, live, popSaw, bypassed, stack, 
                                made, item, own, back >>

Park(self) == /\ pc[self] = "Park"
              /\ \/ /\ token[self] \/ expired[self] \/ Spurious
                    /\ token' = [token EXCEPT ![self] = FALSE]
                    /\ pc' = [pc EXCEPT ![self] = "ReadClock"]
                 \/ /\ Cancels
                    /\ pc' = [pc EXCEPT ![self] = "Leave"]
                    /\ token' = token
              /\ UNCHANGED << free, closed, waiters, alive, expired, late, 
                              held, hands, units, op, ref, tries, wake, 
                              drained, early, live, waitq, popSaw, bypassed, 
                              stack, made, item, own, back >>

Leave(self) == /\ pc[self] = "Leave"
               /\ alive' = [alive EXCEPT ![self] = FALSE]
               /\ waitq' = Without(waitq, self)
               /\ pc' = [pc EXCEPT ![self] = "Leave_remove"]
               /\ UNCHANGED << free, closed, waiters, token, expired, late, 
                               held, hands, units, op, ref, tries, wake, 
                               drained, early, live, popSaw, bypassed, stack, 
                               made, item, own, back >>

Leave_remove(self) == /\ pc[self] = "Leave_remove"
                      /\ IF self \in Range(waiters)
                            THEN /\ waiters' = Without(waiters, self)
                                 /\ ref' = [c \in Clients |-> IF ref[c] = self THEN Dead ELSE ref[c]]
                                 /\ wake' = [c \in Clients |-> [i \in DOMAIN wake[c] |->
                                                IF wake[c][i] = self THEN Dead ELSE wake[c][i]]]
                            ELSE /\ TRUE
                                 /\ UNCHANGED << waiters, ref, wake >>
                      /\ token' = [token EXCEPT ![self] = FALSE]
                      /\ pc' = [pc EXCEPT ![self] = "PassOn"]
                      /\ UNCHANGED << free, closed, alive, expired, late, held, 
                                      hands, units, op, tries, drained, early, 
                                      live, waitq, popSaw, bypassed, stack, 
                                      made, item, own, back >>

PassOn(self) == /\ pc[self] = "PassOn"
                /\ IF free = <<>>
                      THEN /\ IF own[self] # None
                                 THEN /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                      /\ own' = [own EXCEPT ![self] = None]
                                      /\ op' = [op EXCEPT ![self] = "none"]
                                      /\ expired' = [expired EXCEPT ![self] = FALSE]
                                      /\ late' = [late EXCEPT ![self] = FALSE]
                                      /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                 ELSE /\ pc' = [pc EXCEPT ![self] = "PassOn_again"]
                                      /\ UNCHANGED << expired, late, held, op, 
                                                      own >>
                      ELSE /\ pc' = [pc EXCEPT ![self] = "PassOn_waiters"]
                           /\ UNCHANGED << expired, late, held, op, own >>
                /\ UNCHANGED << free, closed, waiters, alive, token, hands, 
                                units, ref, tries, wake, drained, early, live, 
                                waitq, popSaw, bypassed, stack, made, item, 
                                back >>

PassOn_waiters(self) == /\ pc[self] = "PassOn_waiters"
                        /\ IF waiters = <<>>
                              THEN /\ IF own[self] # None
                                         THEN /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                              /\ own' = [own EXCEPT ![self] = None]
                                              /\ op' = [op EXCEPT ![self] = "none"]
                                              /\ expired' = [expired EXCEPT ![self] = FALSE]
                                              /\ late' = [late EXCEPT ![self] = FALSE]
                                              /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                         ELSE /\ pc' = [pc EXCEPT ![self] = "PassOn_again"]
                                              /\ UNCHANGED << expired, late, 
                                                              held, op, own >>
                                   /\ stack' = stack
                              ELSE /\ IF own[self] # None
                                         THEN /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                              /\ own' = [own EXCEPT ![self] = None]
                                              /\ op' = [op EXCEPT ![self] = "none"]
                                              /\ expired' = [expired EXCEPT ![self] = FALSE]
                                              /\ late' = [late EXCEPT ![self] = FALSE]
                                              /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                       pc        |->  "Idle" ] >>
                                                                                   \o stack[self]]
                                              /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                                         ELSE /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                       pc        |->  "PassOn_again" ] >>
                                                                                   \o stack[self]]
                                              /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                                              /\ UNCHANGED << expired, late, 
                                                              held, op, own >>
                        /\ UNCHANGED << free, closed, waiters, alive, token, 
                                        hands, units, ref, tries, wake, 
                                        drained, early, live, waitq, popSaw, 
                                        bypassed, made, item, back >>

PassOn_again(self) == /\ pc[self] = "PassOn_again"
                      /\ IF free = <<>>
                            THEN /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                 /\ own' = [own EXCEPT ![self] = None]
                                 /\ op' = [op EXCEPT ![self] = "none"]
                                 /\ expired' = [expired EXCEPT ![self] = FALSE]
                                 /\ late' = [late EXCEPT ![self] = FALSE]
                                 /\ pc' = [pc EXCEPT ![self] = "Idle"]
                            ELSE /\ pc' = [pc EXCEPT ![self] = "PassOn_again_waiters"]
                                 /\ UNCHANGED << expired, late, held, op, own >>
                      /\ UNCHANGED << free, closed, waiters, alive, token, 
                                      hands, units, ref, tries, wake, drained, 
                                      early, live, waitq, popSaw, bypassed, 
                                      stack, made, item, back >>

PassOn_again_waiters(self) == /\ pc[self] = "PassOn_again_waiters"
                              /\ IF waiters = <<>>
                                    THEN /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                         /\ own' = [own EXCEPT ![self] = None]
                                         /\ op' = [op EXCEPT ![self] = "none"]
                                         /\ expired' = [expired EXCEPT ![self] = FALSE]
                                         /\ late' = [late EXCEPT ![self] = FALSE]
                                         /\ pc' = [pc EXCEPT ![self] = "Idle"]
                                         /\ stack' = stack
                                    ELSE /\ held' = [held EXCEPT ![self] = held[self] \cup (IF own[self] = None THEN {} ELSE {own[self]})]
                                         /\ own' = [own EXCEPT ![self] = None]
                                         /\ op' = [op EXCEPT ![self] = "none"]
                                         /\ expired' = [expired EXCEPT ![self] = FALSE]
                                         /\ late' = [late EXCEPT ![self] = FALSE]
                                         /\ stack' = [stack EXCEPT ![self] = << [ procedure |->  "ring",
                                                                                  pc        |->  "Idle" ] >>
                                                                              \o stack[self]]
                                         /\ pc' = [pc EXCEPT ![self] = "Ring_len"]
                              /\ UNCHANGED << free, closed, waiters, alive, 
                                              token, hands, units, ref, tries, 
                                              wake, drained, early, live, 
                                              waitq, popSaw, bypassed, made, 
                                              item, back >>

client(self) == Idle(self) \/ CheckClosed(self) \/ TakeFree(self)
                   \/ CheckWaiters(self) \/ CheckHead_yield(self)
                   \/ IsAlive_yield(self) \/ Remove_yield(self)
                   \/ CheckClosed_empty(self) \/ Create(self)
                   \/ Discard(self) \/ CheckClosed_retire(self)
                   \/ Replace(self) \/ SetClosed(self) \/ WakeAll(self)
                   \/ WakeAll_copy(self) \/ WakeAll_ring(self)
                   \/ Enqueue(self) \/ ReadClock(self)
                   \/ CheckClosed_wait(self) \/ CheckHead(self)
                   \/ IsAlive_head(self) \/ Remove_head(self)
                   \/ CheckClosed_head(self) \/ TakeFree_head(self)
                   \/ CheckDeadline_late(self) \/ CheckClosed_slow(self)
                   \/ GiveUp(self) \/ Park(self) \/ Leave(self)
                   \/ Leave_remove(self) \/ PassOn(self)
                   \/ PassOn_waiters(self) \/ PassOn_again(self)
                   \/ PassOn_again_waiters(self)

Next == clock
           \/ (\E self \in ProcSet:  \/ ring(self) \/ drain(self)
                                     \/ put_idle(self) \/ return_capacity(self))
           \/ (\E self \in Clients: client(self))

Spec == Init /\ [][Next]_vars

\* END TRANSLATION

(***************************************************************************)
(* Fairness.  The environment's events have none: a client need not start  *)
(* a call, a deadline need not pass, a park need not be cancelled.         *)
(*                                                                         *)
(* WeakSpec: every step of a call in progress is weakly fair (a Park only  *)
(* when rung or expired: it is disabled otherwise; the configurations that *)
(* check liveness have Spurious FALSE, or weak fairness would force a park *)
(* to return unrung).  FairSpec adds that a guard is given back           *)
(* eventually: a client that holds one and is idle infinitely often       *)
(* releases it (strong fairness).  No waiter could ever be served without  *)
(* it.                                                                     *)
(***************************************************************************)
ClientStep(c) == client(c) \/ ring(c) \/ drain(c) \/ put_idle(c) \/ return_capacity(c)
Cancelled(c) == pc[c] = "Park" /\ pc'[c] = "Leave"
InCall(c) == pc[c] # "Idle" /\ ClientStep(c) /\ ~Cancelled(c)
StartRelease(c) == Idle(c) /\ held'[c] # held[c]
(* A client begins a get() or an acquire().                               *)
StartTake(c) == Idle(c) /\ op'[c] \in {"get", "acquire"}

WeakSpec == Spec /\ \A c \in Clients : WF_vars(InCall(c))
FairSpec == WeakSpec /\ \A c \in Clients : SF_vars(StartRelease(c))

(***************************************************************************)
(* Properties.  docs/models.md states each in words.                       *)
(***************************************************************************)
RECURSIVE SumOf(_, _)
SumOf(f, S) == IF S = {} THEN 0
               ELSE LET x == CHOOSE x \in S : TRUE IN f[x] + SumOf(f, S \ {x})
OccurrencesIn(s, r) == Cardinality({i \in 1..Len(s) : s[i] = r})

Busy(c) == pc[c] # "Idle"
Parked(c) == pc[c] = "Park"
(* A client is settled when it has no step to take but to start a call:   *)
(* idle, or parked with no ring to consume and its deadline not passed.   *)
Settled(c) == ~Busy(c) \/ (Parked(c) /\ ~token[c] /\ ~expired[c])
Quiescent == \A c \in Clients : Settled(c)

(* Where a resource can be: idle; popped by a get() that has not yet      *)
(* decided (item); taken by the head, in flight to its caller (own); in a  *)
(* guard; inside a call.                                                   *)
Seen == Resources(free) \cup ({own[c] : c \in Clients} \ {None})
        \cup {item[c] : c \in {d \in Clients : IsRes(item[d])}}
        \cup UNION {held[c] \cup hands[c] : c \in Clients}
Places(r) == OccurrencesIn(free, r)
             + Cardinality({c \in Clients : item[c] = r})
             + Cardinality({c \in Clients : own[c] = r})
             + Cardinality({c \in Clients : r \in held[c]})
             + Cardinality({c \in Clients : r \in hands[c]})
InUse(c) == Cardinality(held[c]) + Cardinality(hands[c])
            + (IF IsRes(item[c]) THEN 1 ELSE 0) + (IF IsRes(own[c]) THEN 1 ELSE 0)
CallUnits(c) == units[c] + (IF IsGrant(item[c]) THEN Size(item[c]) ELSE 0)

TypeOK ==
    /\ \A i \in 1..Len(free) : free[i] \in Int /\ free[i] # None
    /\ closed \in BOOLEAN
    /\ waiters \in Seq(Clients) /\ waitq \in Seq(Clients)
    /\ Cardinality(Range(waiters)) = Len(waiters)
    /\ live \subseteq Nat \ {0}
    /\ bypassed \subseteq Clients \X Clients
    /\ \A c \in Clients :
          /\ alive[c] \in BOOLEAN /\ token[c] \in BOOLEAN
          /\ expired[c] \in BOOLEAN /\ late[c] \in BOOLEAN
          /\ held[c] \subseteq Nat \ {0} /\ hands[c] \subseteq Nat \ {0}
          /\ units[c] \in Nat /\ item[c] \in Int /\ own[c] \in Nat
          /\ op[c] \in {"none", "get", "acquire", "wait", "release", "close"}
          /\ ref[c] \in Clients \cup {Dead} /\ tries[c] \in Nat
          /\ wake[c] \in Seq(Clients \cup {Dead})
          /\ ~Busy(c) => op[c] = "none" /\ item[c] = None /\ own[c] = None
                         /\ units[c] = 0 /\ hands[c] = {} /\ ~expired[c] /\ ~late[c]
          \* A waiter is in the deque while it is alive.
          /\ alive[c] => c \in Range(waiters)

(* The deque is always grants, then resources.                             *)
Shape == \A i, j \in 1..Len(free) : i < j /\ IsRes(free[i]) => IsRes(free[j])

(* A resource is in one place at a time, in flight to a waiter included.  *)
Exclusive == \A r \in Seen : Places(r) = 1

(* No resource is lost, none is kept after it was discarded.               *)
Conserved == Seen = live

(* Every resource and every unit of capacity is in exactly one place:     *)
(* live resources are idle or in use (in a guard, in a call, popped by a  *)
(* get() or by the head and not yet returned); live resources, the units   *)
(* in calls (a popped grant among them) and the grants in free make the   *)
(* maximum while the pool is open (a closed pool only drops).              *)
Accounting ==
    /\ Cardinality(live) = IdleCount + SumOf([c \in Clients |-> InUse(c)], Clients)
    /\ Cardinality(live) + SumOf([c \in Clients |-> CallUnits(c)], Clients) + Spare <= Maximum
    /\ ~closed =>
          Cardinality(live) + SumOf([c \in Clients |-> CallUnits(c)], Clients) + Spare = Maximum

(* FIFO: whenever a waiter takes from free it is the oldest caller still   *)
(* waiting, and a get() never keeps what it popped while a caller that was *)
(* already waiting at its pop still waits.  `bypassed` records every take  *)
(* that broke either (TakeFree_head, and a get()'s keep at CheckWaiters or *)
(* CheckHead_yield, add to it).                                            *)
FIFO == bypassed = {}

(* No lost wake-up: once every call in flight has finished or parked, no   *)
(* waiter is parked while free holds something.                            *)
NoLostWakeup == Quiescent => free = <<>> \/ \A c \in Clients : ~Parked(c)

(* close() wakes everyone: once settled, nobody is parked in a closed      *)
(* pool, and nothing is idle in it.                                        *)
ClosedNobodyParked == Quiescent /\ closed => \A c \in Clients : ~Parked(c)
ClosedKeepsNothingIdle == Quiescent /\ closed => IdleCount = 0

(* Liveness, under WeakSpec: whatever is in free is eventually taken, or   *)
(* no waiter is parked.  (Not "free # <<>> ~> nobody parked": a waiter    *)
(* behind a head that took the last resource waits, legitimately, for as  *)
(* long as the head keeps it.)                                             *)
NoLostWakeupLive == free # <<>> ~> (free = <<>> \/ \A c \in Clients : ~Parked(c))

(* Liveness, under FairSpec: every acquire() finishes (served, timed out,  *)
(* cancelled, or raising PoolClosedError or new()'s error), provided that  *)
(* get() and acquire() calls are not begun for ever.  The proviso is the   *)
(* waiter's loop being lock-free, not wait-free: a caller that begins     *)
(* call after call can pop, each time just before the head looks, what    *)
(* the head would have taken, and give it back just after (it cannot keep *)
(* it: FIFO); TLC shows such a schedule when the proviso is dropped        *)
(* (docs/models.md, "Waiting").                                            *)
TakesStop == <>[][\A c \in Clients : ~StartTake(c)]_vars
EveryWaiterFinishes ==
    TakesStop => \A c \in Acquirers : op[c] \in {"acquire", "wait"} ~> ~Busy(c)

(* The refinement mapping: Waiting implements the atomic FifoPool.  What  *)
(* a get() popped is what it looks at until it keeps or yields it; the    *)
(* head's popped resource is its caller's (Serve) from the pop; resources  *)
(* in calls are busy, units in calls reserved; the queue is the ghost      *)
(* waitq, callers enqueued and neither served nor leaving.                 *)
Abstract == INSTANCE FifoPool WITH
    Bounded <- TRUE,
    InitIdle <- 1..InitialCount,
    InitSpare <- SpareIn(InitFree),
    idle <- Resources(free),
    spare <- Spare,
    held <- [c \in Clients |-> held[c] \cup (IF own[c] = None THEN {} ELSE {own[c]})],
    busy <- UNION {hands[c] : c \in Clients},
    making <- SumOf(units, Clients),
    queue <- waitq,
    look <- item
Refinement == Abstract!FifoSpec
=============================================================================
