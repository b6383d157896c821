------------------------------- MODULE RPool --------------------------------
(***************************************************************************)
(* rpool's pool as your spec sees it, for users who model their own        *)
(* system in TLA+.  INSTANCE this module with your clients, resources and  *)
(* bound, declare its five variables in your module, and let your          *)
(* processes take the steps below where your code calls the pool:          *)
(*                                                                         *)
(*     VARIABLES idle, spare, held, queue, closed, pc                      *)
(*     P == INSTANCE RPool WITH Clients <- Jobs, Resources <- Connections, *)
(*                              Maximum <- 2, Initial <- 0,                *)
(*                              ResetFails <- TRUE                         *)
(*     Run(j) == pc[j] = "start" /\ P!acquire(j) /\ pc' = ...              *)
(*                                                                         *)
(* Every step is one call at its linearization point: rpool's get(),       *)
(* acquire(), release() and close() are linearizable (docs/design.md,      *)
(* "Linearization"; its two departures, a get() returning None while       *)
(* another gives back and a timeout taking effect late, are within what    *)
(* these steps allow: see Miss and leave), so a property of your           *)
(* variables that holds with these atomic steps holds with the real        *)
(* calls.  acquire() that waits is two steps, joining the queue (wait) and *)
(* being served as its head (acquire); your process is blocked between.    *)
(*                                                                         *)
(* What the steps leave out, and how to model it in your process:          *)
(*   - get() returning None (see Miss), acquire() raising PoolTimeout or   *)
(*     PoolClosedError before it waits, new() raising: the pool is as it   *)
(*     was; your step changes none of these variables.                     *)
(*   - A waiter timing out, cancelled, woken by close() (PoolClosedError)  *)
(*     or whose own new() raised: leave.                                   *)
(*   - A guard dropped unreleased: its finalizer releases it, later and in *)
(*     another thread; model the collector as a process taking release.    *)
(*   - Growth by chunks: a get() here grows by one resource.  A chunk's    *)
(*     other resources appear idle in rpool at once; that changes when     *)
(*     resources exist, never how many may (at most Maximum).              *)
(*   - max_lifetime, max_idle, check on borrow: evict, a step of the pool  *)
(*     to add to your Next if your pool has them.  resize(): not modelled. *)
(*                                                                         *)
(* The repository's models check rpool's code against the atomic Pool and  *)
(* FifoPool specs (models/FreeList.tla, models/Waiting.tla), and its       *)
(* linearizability checker checks real histories against tests/model.py;   *)
(* this module states those rules one call at a time: capacity conserved   *)
(* while open, FIFO among waiters, no call takes from a closed pool.       *)
(* models/WaitingRPool.tla maps the waiting model onto this module, and    *)
(* TLC checks that each of its steps is one of these or none, for a Static *)
(* pool of one resource whose reset() may fail, without close() and        *)
(* growth: a mapping without prophecy variables cannot place those (that   *)
(* file says why).                                                         *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Clients,     \* the callers: your threads, tasks or jobs
    Resources,   \* the identities a resource may have; a replacement may
                 \* take the identity of one discarded before it
    Maximum,     \* the bound: Static's count, or AutoScale's maximum
    Initial,     \* the resources the constructor makes (Static: Maximum)
    ResetFails   \* your reset() may fail, or lifecycle options discard:
                 \* release() may discard

ASSUME Maximum \in Nat /\ Maximum <= Cardinality(Resources)
ASSUME Initial \in 0..Maximum
ASSUME ResetFails \in BOOLEAN

VARIABLES
    idle,     \* the resources ready to be handed out
    spare,    \* the capacity a get() may grow by: units of Maximum unmade
    held,     \* held[c]: the resources in c's guards
    queue,    \* the clients waiting in acquire(), oldest first
    closed    \* close() has been called

vars == <<idle, spare, held, queue, closed>>

Range(s) == {s[i] : i \in 1..Len(s)}
Held == UNION {held[c] : c \in Clients}
Live == idle \cup Held

(* Whether c waits in acquire().                                           *)
Waiting(c) == c \in Range(queue)

(* Where get() returns None.  If no client ever calls acquire(): exactly   *)
(* when nothing is idle and no capacity is spare (a closed pool raises     *)
(* PoolClosedError instead).  Once clients may wait: whenever someone      *)
(* waits, and also at any other moment, since a concurrent get() can find  *)
(* the pool empty while another get() gives back, to a waiter, what it had *)
(* taken (docs/design.md, "Linearization").  So guard a None branch of     *)
(* your process with Miss only if nobody calls acquire().                  *)
Miss == queue # <<>> \/ (idle = {} /\ spare = 0)

Init ==
    /\ idle = CHOOSE s \in SUBSET Resources : Cardinality(s) = Initial
    /\ spare = Maximum - Initial
    /\ held = [c \in Clients |-> {}]
    /\ queue = <<>>
    /\ closed = FALSE

(***************************************************************************)
(* The steps your processes take.                                          *)
(***************************************************************************)

(* c takes an idle resource, or, with none idle, a unit of spare capacity  *)
(* and makes a resource with it (new()).                                   *)
Take(c) ==
    \/ \E r \in idle :
          /\ idle' = idle \ {r}
          /\ held' = [held EXCEPT ![c] = @ \cup {r}]
          /\ UNCHANGED spare
    \/ /\ idle = {}
       /\ spare > 0
       /\ \E r \in Resources \ Live : held' = [held EXCEPT ![c] = @ \cup {r}]
       /\ spare' = spare - 1
       /\ UNCHANGED idle

(* get() returns a guard: the pool is open and nobody waits.               *)
get(c) ==
    /\ ~closed
    /\ queue = <<>>
    /\ Take(c)
    /\ UNCHANGED <<queue, closed>>

(* acquire() returns a guard: at once, as get(), if c does not wait; or    *)
(* when c, waiting, is the head of the queue (FIFO: only the head takes).  *)
acquire(c) ==
    \/ ~Waiting(c) /\ get(c)
    \/ /\ ~closed
       /\ queue # <<>>
       /\ Head(queue) = c
       /\ queue' = Tail(queue)
       /\ Take(c)
       /\ UNCHANGED closed

(* acquire()'s get() missed: c joins the queue.  Not guarded by Miss: a    *)
(* resource may come back between the miss and the join, and then c,       *)
(* the head, takes it.                                                     *)
wait(c) ==
    /\ ~Waiting(c)
    /\ queue' = Append(queue, c)
    /\ UNCHANGED <<idle, spare, held, closed>>

(* A waiter leaves unserved: its timeout (PoolTimeout), its cancellation,  *)
(* close() (PoolClosedError), or its own new() raised.                     *)
leave(c) ==
    /\ Waiting(c)
    /\ queue' = SelectSeq(queue, LAMBDA d : d # c)
    /\ UNCHANGED <<idle, spare, held, closed>>

(* release() of r, a resource in c's guard.  Reset succeeded: r is idle.   *)
(* Reset failed (ResetFails): r is discarded, and release() makes its      *)
(* replacement, idle (Static), or its unit is spare, for a later get() to  *)
(* make (AutoScale, or the replacement's new() raised).  The pool is       *)
(* closed: r is discarded.  A replacement may have r's identity.           *)
release(c, r) ==
    /\ r \in held[c]
    /\ held' = [held EXCEPT ![c] = @ \ {r}]
    /\ \/ ~closed /\ idle' = idle \cup {r} /\ UNCHANGED spare
       \/ /\ ResetFails /\ ~closed
          /\ \/ \E n \in (Resources \ Live) \cup {r} : idle' = idle \cup {n} /\ UNCHANGED spare
             \/ spare' = spare + 1 /\ UNCHANGED idle
       \/ closed /\ UNCHANGED <<idle, spare>>
    /\ UNCHANGED <<queue, closed>>

(* An idle resource is discarded: it expired (max_lifetime), stayed idle   *)
(* too long (max_idle), or failed check() when a get() took it (that get() *)
(* then goes on, a step of its own).  As after a failed reset, a           *)
(* replacement is made idle or the unit is spare.  Only with those         *)
(* options.                                                                *)
evict(r) ==
    /\ ~closed
    /\ r \in idle
    /\ \/ \E n \in (Resources \ Live) \cup {r} : idle' = (idle \ {r}) \cup {n} /\ UNCHANGED spare
       \/ idle' = idle \ {r} /\ spare' = spare + 1
    /\ UNCHANGED <<held, queue, closed>>

(* close(): idle resources are discarded, spare capacity forgotten; held   *)
(* ones are discarded when released.  Calling it again changes nothing.    *)
close ==
    /\ closed' = TRUE
    /\ idle' = {}
    /\ spare' = 0
    /\ UNCHANGED <<held, queue>>

(* Any client's step: the pool used by clients you do not model one by     *)
(* one.  The repository checks this module's guarantees below with it      *)
(* (models/MCRPool.cfg).                                                   *)
Next ==
    \/ \E c \in Clients :
          \/ get(c) \/ acquire(c) \/ wait(c) \/ leave(c)
          \/ \E r \in held[c] : release(c, r)
    \/ \E r \in idle : evict(r)
    \/ close

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* What rpool guarantees, for your invariants to lean on.                  *)
(***************************************************************************)

TypeOK ==
    /\ idle \subseteq Resources
    /\ spare \in 0..Maximum
    /\ held \in [Clients -> SUBSET Resources]
    /\ Range(queue) \subseteq Clients
    /\ Len(queue) = Cardinality(Range(queue))
    /\ closed \in BOOLEAN

(* Never more than Maximum resources; while open, exactly Maximum units    *)
(* between resources and spare capacity.                                   *)
Bounded ==
    /\ Cardinality(Live) + spare <= Maximum
    /\ ~closed => Cardinality(Live) + spare = Maximum

(* A resource is in one place: idle, or in one client's guards.            *)
Exclusive ==
    /\ idle \cap Held = {}
    /\ \A c, d \in Clients : c # d => held[c] \cap held[d] = {}
=============================================================================
