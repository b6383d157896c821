--------------------------- MODULE TraceLifecycle ---------------------------
(***************************************************************************)
(* Trace validation of the lifecycle: TLC checks that logs of the real     *)
(* pool, with max_lifetime, max_idle (AutoScale), maintain() and resize(), *)
(* taken under the deterministic scheduler (tests/conformance/             *)
(* lifecycle.py), are behaviours of Lifecycle, step for step.  Each line   *)
(* has run, line, step, p (the model's process: a client, a sweeper, the  *)
(* resizer), action and op (the scheduling point), and the observed        *)
(* variables after the step:                                               *)
(*   free   the free list, a grant of n units as n Grants (0)             *)
(*   alive  the resources created and not discarded                       *)
(*   own    per client, the resources in its hands: held[c] and guard[c]  *)
(*   bound  Core._maximum;  debt  len(Lifecycle.debt)                      *)
(* A resize() call's Idle line has `target`, the bound it asks for.        *)
(* Not observed: pc, discarded, nextId (the harness numbers resources in   *)
(* creation order, as nextId does), the sweepers' and the resizer's held,  *)
(* steps, tokens, extra, mutex: TLC finds values for them.                 *)
(*                                                                         *)
(* How each logged op is matched (the code's steps and Lifecycle's labels; *)
(* docs/conformance.md has the same table with the code's lines):          *)
(*                                                                         *)
(*   log op            Lifecycle label(s)                                  *)
(*   ----------------  --------------------------------------------------- *)
(*   call (resize)     resize, target' = the logged target                 *)
(*   free.len          TakeFree of a client if it saw free empty (a miss); *)
(*                     else nothing (coldest()'s read, the pop follows)    *)
(*   free.pop          TakeFree (a client), Take (a sweeper)               *)
(*   created.next      Create, Renew (new() returned: the caller has it), *)
(*                     Replace (Static: an expired resource's successor)  *)
(*   discarded.next    Expire, Release (its expired branch), Evict,        *)
(*                     PayEvict: the counter recording the discard, after *)
(*                     close() returned (the resource leaves alive, its   *)
(*                     unit stays in held); the idle sweep's floor reads  *)
(*                     this counter                                        *)
(*   free.append,      Release (PutIdle), PutBack (the successor idle)    *)
(*   free.iadd                                                             *)
(*   free.appendleft   Spare (return_capacity), Grow (the resizer)        *)
(*   free.popleft      PayTake (either branch)                             *)
(*   debt.len          nothing, but ReturnGrant (the read) may be taken   *)
(*                     before it                                           *)
(*   paying.pop        nothing, but RetireLock may be taken before it;    *)
(*                     RetireLock_busy if marked "busy" (below)            *)
(*   discarded.value   nothing, but a sweeper's CheckFloor may be taken    *)
(*                     before it: the floor test reads the counters here   *)
(*   debt.pop          Pay, RetireTake (retire(): the unit with a token), *)
(*                     Cancel (the resizer); nothing if the deque was      *)
(*                     empty                                               *)
(*   debt.extend       Apply, lowering; PayBack (the token goes back)     *)
(*   end               the run is over: every process at rest (AtRest)     *)
(*   anything else     nothing: call (get, release, maintain), box.pop     *)
(*                     (Claim), reset, close (the callback's start),       *)
(*                     closed.read, free.getitem, misses,                  *)
(*                     paying.iadd: reads, and steps of                    *)
(*                     variables the model does not have or does not show *)
(*   (no line)         every step that changes no observed variable: loop, *)
(*                     Hold, Check (the expiry test is a comparison),      *)
(*                     Rehold, Create of a popped resource, sweep,         *)
(*                     CheckFloor (the counters' reads), Take of an empty  *)
(*                     list, Evict and PayEvict of a grant, Retire,        *)
(*                     ReturnGrant, RetireLock, RetireUnlock, Lock,        *)
(*                     Apply of a raise, the loop exits of Cancel and      *)
(*                     Grow, Unlock: taken unlogged before the process's   *)
(*                     next line                                           *)
(*                                                                         *)
(* Where the code's steps and Lifecycle's labels do not line up:          *)
(*  - a client's get() runs its sweep step and debt payment inside the    *)
(*    call (Lifecycle.check_out); the model's sweeper processes take them. *)
(*    Each thread's sweeps are its own sweeper (10 + the thread).          *)
(*  - resize() pays debt itself after lowering, holding the paying token;  *)
(*    Lifecycle's Apply gives the token back at once and leaves payment to *)
(*    sweepers: the resizer thread's payments are its sweeper's steps,    *)
(*    and a retire() finding the token taken then is RetireLock_busy.     *)
(*    A release's expire() runs _return_capacity() and retire() in the     *)
(*    client's thread: they are the client's (its return_capacity call).   *)
(*  - a payment takes the token (paying.pop) and a unit of debt (debt.pop) *)
(*    in two steps, Pay in one: the token is not observed, and Pay is      *)
(*    matched at debt.pop.  Likewise Lock is the resizer's paying.pop.     *)
(*  - PayTake's empty branch and ReturnGrant's choice between retiring and *)
(*    giving back, which TLC found finer in the code than in Lifecycle     *)
(*    (docs/conformance.md, "What TLC found in the lifecycle traces"), are *)
(*    split in Lifecycle.tla as the code does: matched as its own labels.  *)
(***************************************************************************)
EXTENDS Lifecycle, TraceRuns

tvars == <<vars, run, l>>

Own(c) == {held[c], guard[c]} \ {None, Grant}

(* The observed variables, and a line's values of them.                    *)
Observed == <<free, alive, bound, debt, [c \in Clients |-> Own(c)]>>
Seen(line) ==
    <<line.free, Range(line.alive), line.bound, line.debt,
      [c \in Clients |-> Range(line.own[c])]>>

(***************************************************************************)
(* Where the code holds the paying token longer than Lifecycle: resize()   *)
(* keeps it through its own payments after a lowering, while Lifecycle's   *)
(* Apply gives it back at once and leaves the payments to the resizer's   *)
(* sweeper (see the table above).  A retire() that finds it taken then    *)
(* (the log marks its paying.pop "busy") may find it free in the model:   *)
(* RetireLock's taken branch, matched whatever mutex is.                  *)
(***************************************************************************)
RetireLock_busy(p) ==
    /\ pc[p] = "RetireLock"
    /\ pc' = [pc EXCEPT ![p] = "Spare"]
    /\ UNCHANGED <<free, alive, discarded, nextId, held, guard, steps, bound, debt,
                   tokens, target, extra, mutex, stack>>

(* A step of process p matching a line whose op is o (see the table).     *)
Does(p, line) ==
    LET o == line.op IN
    \/ o = "call" /\ "target" \in DOMAIN line /\ resize(p) /\ target'[p] = line.target
    \/ o = "free.len" /\ free = <<>> /\ TakeFree(p)
    \/ o = "free.pop" /\ (TakeFree(p) \/ Take(p))
    \/ o = "created.next" /\ (Create(p) \/ Renew(p) \/ Replace(p))
    \/ o = "discarded.next" /\ (Expire(p) \/ Release(p) \/ Evict(p) \/ PayEvict(p))
    \/ o \in {"free.append", "free.iadd"} /\ (Release(p) \/ PutBack(p))
    \/ o = "free.appendleft" /\ (Spare(p) \/ Grow(p))
    \/ o = "free.popleft" /\ PayTake(p)
    \/ o = "paying.pop" /\ "busy" \in DOMAIN line /\ RetireLock_busy(p)
    \/ o = "debt.pop" /\ (Pay(p) \/ RetireTake(p) \/ Cancel(p))
    \/ o = "debt.extend" /\ (Apply(p) \/ PayBack(p))

(* The lines before which p's unlogged steps may be taken: those a model  *)
(* step of p must match (any earlier step that changes nothing observed   *)
(* can wait until then), the take and the give-back of the paying token   *)
(* (RetireLock, which finds it taken or takes it; a payment's Retire or a *)
(* resize's Unlock, which must have happened before another process takes *)
(* it), and debt.len (ReturnGrant's read).  Not before the other reads: so *)
(* TLC need not carry every order of them along every line.               *)
Effective(line) ==
    \/ line.op \in {"free.pop", "created.next", "discarded.next", "free.append", "free.iadd",
                    "free.appendleft", "free.popleft", "debt.pop", "debt.extend",
                    "paying.pop", "paying.iadd", "discarded.value", "debt.len"}
    \/ line.op = "call" /\ "target" \in DOMAIN line
    \/ line.op = "free.len" /\ line.free = <<>>

(* Steps of p that change no observed variable, taken before its line.    *)
(* The model's two free choices of such steps are made as the line says:  *)
(* a sweeper's loop goes to Pay only for a debt.pop, to CheckFloor only   *)
(* for a pop; a client's Check expires the resource only for a close(),   *)
(* keeps it only for a release.  (Either choice is otherwise a state TLC *)
(* would carry along until that process's next line.)                     *)
Unlogged(p, line) ==
    /\ \/ p \in Clients /\ (client(p) \/ return_capacity(p))
       \/ p \in Sweepers /\ (sweeper(p) \/ return_capacity(p))
       \/ p \in Resizers /\ resizer(p) /\ ~resize(p)
    /\ Observed' = Observed
    /\ pc[p] = "sweep" =>
        \/ line.op = "debt.pop" /\ pc'[p] = "Pay"
        \/ line.op \in {"free.pop", "discarded.value"} /\ pc'[p] = "CheckFloor"
    /\ pc[p] = "Check" =>
        \/ line.op = "discarded.next"
        \/ line.op \in {"free.append", "free.iadd"} /\ pc'[p] = "Release"

(* The last line of a run (op "end", p 0) is logged when every thread    *)
(* has finished: each process must then be at rest, after steps that      *)
(* change nothing observed: a client back at its loop or holding its      *)
(* resource (pc Release: the harness releases it after the run), a        *)
(* sweeper back at the top of its loop, the resizer between calls.  So a  *)
(* unit that a step took and no logged step gave back (a shrink that      *)
(* keeps it) leaves a process short of rest, and the run is rejected.     *)
AtRest ==
    /\ \A c \in Clients : pc[c] \in {"loop", "Release"}
    /\ \A s \in Sweepers : pc[s] = "sweep"
    /\ \A r \in Resizers : pc[r] = "resize"

Settle(line) ==
    \E q \in ProcSet :
        /\ \/ q \in Clients /\ (client(q) \/ return_capacity(q))
           \/ q \in Sweepers /\ (sweeper(q) \/ return_capacity(q))
           \/ q \in Resizers /\ resizer(q) /\ ~resize(q)
        /\ Observed' = Observed
        /\ pc[q] = "sweep" => FALSE
        /\ pc[q] = "Check" => pc'[q] = "Release"

TraceInit ==
    /\ run \in 1..RunCount
    /\ l = 2
    /\ Init
    /\ Observed = Seen(Log[run][1])

TraceNext ==
    /\ l <= Len(Log[run])
    /\ UNCHANGED run
    /\ LET line == Log[run][l] IN
        IF line.op = "end"
        THEN \/ Settle(line) /\ UNCHANGED l
             \/ AtRest /\ UNCHANGED vars /\ Observed = Seen(line) /\ l' = l + 1
        ELSE
        \/ /\ Effective(line)
           /\ Unlogged(line.p, line)
           /\ UNCHANGED l
        \/ /\ \/ UNCHANGED vars
              \/ Does(line.p, line)
           /\ Observed' = Seen(line)
           /\ l' = l + 1

TraceSpec == TraceInit /\ [][TraceNext]_tvars

(* Acceptance: TraceRuns (Furthest, TraceAccepted).                      *)
=============================================================================
