------------------------------ MODULE FifoPool ------------------------------
(***************************************************************************)
(* rpool's pool with waiting, as its callers see it: the atomic Pool       *)
(* (Pool.tla) plus a FIFO queue of waiting callers.  Every change is one  *)
(* atomic step.                                                            *)
(*                                                                         *)
(* What waiting adds to Pool:                                              *)
(*   - queue: the callers of acquire() waiting, oldest first.  Enqueue     *)
(*     appends; Leave removes a caller from anywhere (a timeout, a         *)
(*     cancellation, close()); Serve hands the head, and only the head,   *)
(*     an idle resource or spare capacity to grow by.                      *)
(*   - look[c]: what a get() has taken out of the pool and not yet decided *)
(*     to keep.  get() pops first and looks at the queue after (Look, then *)
(*     Keep or Yield): it may keep what it took only if nobody waits; if   *)
(*     someone does, it gives it back (Yield: into the call, whence Put or *)
(*     Return make it idle or spare again).                                *)
(* So nobody but the head takes anything while callers wait, and the head  *)
(* is the oldest of them: FIFO, no barging.                                *)
(*                                                                         *)
(* Pool's Get and Grow are replaced by Look/Keep and Serve; the other      *)
(* actions of Pool are kept as they are and change neither queue nor look. *)
(* Waiting.tla refines this spec (its property Refinement).                *)
(***************************************************************************)
EXTENDS Pool, Sequences

VARIABLES
    queue,   \* the callers waiting in acquire(), in arrival order
    look     \* look[c]: what c's get() took and has not yet kept or given
             \* back: None (0), a resource (> 0) or n units (-n)

fvars == <<vars, queue, look>>

None == 0
Range(s) == {s[i] : i \in 1..Len(s)}
Without(s, x) == SelectSeq(s, LAMBDA y : y # x)
LookedAt == {look[c] : c \in Clients} \ {None}

FifoInit == Init /\ queue = <<>> /\ look = [c \in Clients |-> None]

(* A Pool action that leaves the queue and every get()'s look alone.       *)
Plain(A) == A /\ UNCHANGED <<queue, look>>

(* get() takes an idle resource, or units of spare capacity when no       *)
(* resource is idle (the deque's shape), to look at.                       *)
Look(c) ==
    /\ look[c] = None
    /\ \/ \E r \in idle :
            /\ idle' = idle \ {r}
            /\ look' = [look EXCEPT ![c] = r]
            /\ UNCHANGED spare
       \/ /\ Bounded => idle = {}
          /\ \E k \in 1..spare :
                /\ spare' = spare - k
                /\ look' = [look EXCEPT ![c] = -k]
          /\ UNCHANGED idle
    /\ UNCHANGED <<held, busy, making, closed, queue>>

(* get() keeps what it took: only when nobody waits.  A resource goes to  *)
(* its guard; units are reserved for the growth.                           *)
Keep(c) ==
    /\ queue = <<>>
    /\ look[c] # None
    /\ IF look[c] > 0
       THEN held' = [held EXCEPT ![c] = @ \cup {look[c]}] /\ UNCHANGED making
       ELSE making' = making - look[c] /\ UNCHANGED held
    /\ look' = [look EXCEPT ![c] = None]
    /\ UNCHANGED <<idle, spare, busy, closed, queue>>

(* get() gives back what it took (someone waits): into the call, whence   *)
(* Put makes a resource idle and Return units spare.                       *)
Yield(c) ==
    /\ look[c] # None
    /\ IF look[c] > 0
       THEN busy' = busy \cup {look[c]} /\ UNCHANGED making
       ELSE making' = making - look[c] /\ UNCHANGED busy
    /\ look' = [look EXCEPT ![c] = None]
    /\ UNCHANGED <<idle, spare, held, closed, queue>>

Enqueue(c) ==
    /\ c \notin Range(queue)
    /\ queue' = Append(queue, c)
    /\ UNCHANGED <<vars, look>>

(* The head, and only the head, is served: Pool's Get or Grow.             *)
Serve(c) ==
    /\ queue # <<>>
    /\ Head(queue) = c
    /\ queue' = Tail(queue)
    /\ Get(c) \/ Grow(c)
    /\ UNCHANGED look

(* A waiter leaves unserved: its timeout, its cancellation, close().       *)
Leave(c) ==
    /\ c \in Range(queue)
    /\ queue' = Without(queue, c)
    /\ UNCHANGED <<vars, look>>

(* Pool's Make, whose new resource is also none that a get() looks at.     *)
FifoMake(c) ==
    /\ Plain(Make(c))
    /\ \A r \in (busy' \ busy) \cup (held'[c] \ held[c]) : r \notin LookedAt

FifoNext ==
    \/ \E c \in Clients :
          \/ Look(c) \/ Keep(c) \/ Yield(c)
          \/ Enqueue(c) \/ Serve(c) \/ Leave(c)
          \/ FifoMake(c) \/ Plain(Release(c))
    \/ Plain(Put \/ Retire \/ Return \/ Close \/ Drain \/ Discard \/ Drop)

FifoSpec == FifoInit /\ [][FifoNext]_fvars
=============================================================================
