---------------------------- MODULE TraceWaiting ----------------------------
(***************************************************************************)
(* Trace validation of waiting: TLC checks that logs of the real pool,    *)
(* taken under the deterministic scheduler while clients call get(),       *)
(* acquire(timeout), release() and close() (tests/conformance/trace.py,   *)
(* harness.py with waiting=True), are behaviours of Waiting, step for     *)
(* step.  The log's format is TraceFreeList's; each line also has          *)
(*   waiters  the waiter queue after the step, oldest first, each entry   *)
(*            as the number of the client whose waiter it is               *)
(*   alive    per client, its latest enqueued waiter's `alive` slot       *)
(* and `held` includes the guard a head took while its acquire() is still *)
(* leaving (read off its `waiting()` frame): Waiting's held \cup own.      *)
(* `orphans` must stay empty: these runs drop no guard, and nothing else  *)
(* orphans without an interruption, which the runs have none of.          *)
(* Not observed: pc, the stack, hands, units, op (but at Idle), item,     *)
(* back, made, ref, tries, wake, drained, token (a ThreadWaiter counts     *)
(* rings, the model keeps one: Spurious covers the extra ones), expired,  *)
(* late, and the ghosts (live, waitq, popSaw, bypassed): TLC finds values *)
(* for them that make the log a behaviour, or reports the first line for  *)
(* which none exist.                                                       *)
(*                                                                         *)
(* How each logged step (its op; the action is the instrument's name) is  *)
(* matched: by Waiting's steps at the labels below, whichever pc allows,  *)
(* or by no step where the code reads what the model merges into a        *)
(* neighbouring step (a read is an op in Reads, or the code's store of an *)
(* `alive` already False).                                                 *)
(*                                                                         *)
(*   log op           Waiting label(s)                                     *)
(*   ---------------  ---------------------------------------------------- *)
(*   call (Idle)      Idle, for get, acquire, close (op' is the call);     *)
(*                    nothing for release: its Claim is the step           *)
(*   box.pop (Claim)  Idle's release branch: the claim, with the reset()   *)
(*                    outcome the model picks in the same step             *)
(*   reset            nothing (the outcome was picked at the claim)        *)
(*   closed.read      CheckClosed, _empty, _put, _drain, _return, _retire, *)
(*                    _wait, _head, _slow; or nothing: a read the model    *)
(*                    merges (the one in PoolTimeout's message, the        *)
(*                    pool's repr)                                         *)
(*   free.len         TakeFree or TakeFree_head if it saw free empty,      *)
(*                    PassOn, PassOn_again; else nothing (the pop that     *)
(*                    follows is the TakeFree)                             *)
(*   free.pop         TakeFree, TakeFree_head                              *)
(*   waiters.len      CheckWaiters, CheckWaiters_put, CheckWaiters_return, *)
(*                    Ring_len, WakeAll, PassOn_waiters,                   *)
(*                    PassOn_again_waiters                                 *)
(*   waiters.getitem  CheckHead_yield, CheckHead, CheckHead_ring           *)
(*   waiter.alive     IsAlive_yield, IsAlive_head, IsAlive_ring; or        *)
(*    (CheckHead)     nothing: first_alive's read of the head's own        *)
(*                    `alive`, which the model's CheckHead includes        *)
(*   waiter.alive     GiveUp, Leave; or nothing: the driver's handler      *)
(*    (Leave)         (_wait) stores False again, merged into PassOn_again *)
(*   waiters.remove   Remove_yield, Remove_head, Remove_ring, Leave_remove *)
(*   waiters.append   Enqueue (an appendleft too: where the entry lands   *)
(*                    is checked by `waiters`, so that a LIFO mutant is    *)
(*                    rejected for its order, not for its name)            *)
(*   waiters.copy     WakeAll_copy                                         *)
(*   waiter.put       Ring, WakeAll_ring                                   *)
(*   waiter.get       Park (the step is the park's return: rung, timed     *)
(*                    out, or on a token left by an earlier ring)          *)
(*   created.next     Create, Replace: the counter recording how new()     *)
(*   failed.next      ended; the point at new()'s start is not logged      *)
(*   close            Discard, Discard_drain; or nothing in a closed pool: *)
(*                    CheckClosed_put's closed branch discards in its step *)
(*                    (a replacement made while close() ran, found by the  *)
(*                    async traces), and `live` is not observed            *)
(*   free.append      PutIdle (release()'s inlined copy, _put_idle)        *)
(*   free.iadd                                                             *)
(*   free.appendleft  ReturnGrant                                          *)
(*   free.popleft     DrainFree                                            *)
(*   closed.write     SetClosed                                            *)
(*   orphans.len,     nothing: Waiting has no orphans (Sees checks there   *)
(*   orphans.pop,     are none); misses are not counted in the model       *)
(*   misses.next                                                           *)
(*   (none)           ReadClock (the clock read is no scheduling point:    *)
(*                    it follows Enqueue or Park in their step),           *)
(*                    GiveUp of a waiter whose deadline had not passed     *)
(*                    (a comparison), CheckHead_ring when ring()'s loop    *)
(*                    ends, WakeAll_ring when ring_all's copy is done, and *)
(*                    the clock's Tick (the virtual clock moves when a     *)
(*                    park times out, past that waiter's deadline, and     *)
(*                    perhaps others'): model steps the code takes         *)
(*                    without a scheduling point, taken unlogged before    *)
(*                    the next logged step of the same process             *)
(***************************************************************************)
EXTENDS Waiting, TraceRuns

tvars == <<vars, run, l>>

(* What the code shows of a client's resources: its guards, and the one   *)
(* a head took and is returning (Waiting's `own`).                         *)
Holds(c) == held[c] \cup (IF own[c] = None THEN {} ELSE {own[c]})
HoldsNext(c) == held'[c] \cup (IF own'[c] = None THEN {} ELSE {own'[c]})

(* The observed variables equal the line's, now (Sees) or after (Saw).    *)
Sees(line) ==
    /\ line.orphans = <<>>
    /\ free = line.free
    /\ closed = line.closed
    /\ waiters = line.waiters
    /\ \A c \in Clients : alive[c] = line.alive[c] /\ Holds(c) = Range(line.held[c])

Saw(line) ==
    /\ line.orphans = <<>>
    /\ free' = line.free
    /\ closed' = line.closed
    /\ waiters' = line.waiters
    /\ \A c \in Clients : alive'[c] = line.alive[c] /\ HoldsNext(c) = Range(line.held[c])

(* A step of client p matching a line whose op is o (see the table).      *)
Does(p, line) ==
    LET o == line.op IN
    \/ o = "call" /\ line.call # "release" /\ Idle(p) /\ op'[p] = line.call
    \/ o = "box.pop" /\ Idle(p) /\ op'[p] \in {"none", "release"}
    \/ o = "closed.read" /\
        \/ CheckClosed(p) \/ CheckClosed_empty(p) \/ CheckClosed_put(p)
        \/ CheckClosed_drain(p) \/ CheckClosed_return(p) \/ CheckClosed_retire(p)
        \/ CheckClosed_wait(p) \/ CheckClosed_head(p) \/ CheckClosed_slow(p)
    \/ o = "free.len" /\
        \/ free = <<>> /\ (TakeFree(p) \/ TakeFree_head(p))
        \/ PassOn(p) \/ PassOn_again(p)
    \/ o = "free.pop" /\ (TakeFree(p) \/ TakeFree_head(p))
    \/ o = "waiters.len" /\
        \/ CheckWaiters(p) \/ CheckWaiters_put(p) \/ CheckWaiters_return(p)
        \/ Ring_len(p) \/ WakeAll(p) \/ PassOn_waiters(p) \/ PassOn_again_waiters(p)
    \/ o = "waiters.getitem" /\ (CheckHead_yield(p) \/ CheckHead(p) \/ CheckHead_ring(p))
    \/ o = "waiter.alive" /\ line.action = "CheckHead" /\
        (IsAlive_yield(p) \/ IsAlive_head(p) \/ IsAlive_ring(p))
    \/ o = "waiter.alive" /\ line.action = "Leave" /\ (GiveUp(p) \/ Leave(p))
    \/ o = "waiters.remove" /\
        (Remove_yield(p) \/ Remove_head(p) \/ Remove_ring(p) \/ Leave_remove(p))
    \/ o \in {"waiters.append", "waiters.appendleft"} /\ Enqueue(p)
    \/ o = "waiters.copy" /\ WakeAll_copy(p)
    \/ o = "waiter.put" /\ (Ring(p) \/ WakeAll_ring(p))
    \/ o = "waiter.get" /\ Park(p)
    \/ o \in {"created.next", "failed.next"} /\ (Create(p) \/ Replace(p))
    \/ o = "close" /\ (Discard(p) \/ Discard_drain(p))
    \/ o \in {"free.append", "free.iadd"} /\ PutIdle(p)
    \/ o = "free.appendleft" /\ ReturnGrant(p)
    \/ o = "free.popleft" /\ DrainFree(p)
    \/ o = "closed.write" /\ SetClosed(p)

(* Lines that may match no model step (see the table): reads the model    *)
(* merges, and steps of the code that Waiting has no variable for.        *)
Merged(line) ==
    \/ line.op \in {"closed.read", "free.len", "orphans.len", "orphans.pop",
                    "misses.next", "reset"}
    \/ line.op = "call" /\ line.call = "release"
    \/ line.op = "waiter.alive"
    \/ line.op = "close" /\ line.closed

(* The model steps the code takes without a scheduling point (the table's *)
(* last row).  They change no observed variable.  The clock's Tick for a  *)
(* waiter is taken just before that waiter's own next logged step: only    *)
(* the waiter reads its `expired` (ReadClock, Park), so any behaviour with *)
(* an earlier Tick has one with the Tick there, and TLC need not try the   *)
(* Tick at every line of the other processes.                              *)
Unlogged(p) ==
    /\ p \in Clients
    /\ \/ Tick /\ ~expired[p] /\ expired'[p]
       \/ ReadClock(p)
       \/ ~late[p] /\ GiveUp(p)
       \/ tries[p] = 0 /\ CheckHead_ring(p)
       \/ wake[p] = <<>> /\ WakeAll_ring(p)
    /\ UNCHANGED <<free, closed, waiters, alive, held, own>>

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
        \/ /\ \/ Merged(line) /\ UNCHANGED vars
              \/ Does(line.p, line)
           /\ Saw(line)
           /\ l' = l + 1

TraceSpec == TraceInit /\ [][TraceNext]_tvars

(* Acceptance: TraceRuns (Furthest, TraceAccepted).                      *)
=============================================================================
