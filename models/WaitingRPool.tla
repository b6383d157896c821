---------------------------- MODULE WaitingRPool ----------------------------
(***************************************************************************)
(* The users' spec, RPool (src/rpool/testing/tla/RPool.tla), as a view of  *)
(* the waiting model: every step of Waiting is one RPool step or changes   *)
(* none of RPool's variables, so each behaviour of the code's model, seen  *)
(* one call at a time, is one that a user's spec built on RPool allows.    *)
(*                                                                         *)
(* The mapping: a resource is idle while it is in free, in a get()'s hand  *)
(* after its pop (item), or inside a call on its way back (hands: a get()  *)
(* that yields it, or a release() from its Claim on, whose reset cannot    *)
(* fail here); the head's popped resource is its caller's (own), as in     *)
(* Waiting's refinement to FifoPool; the queue is the ghost waitq. So a    *)
(* release() is linearized at its Claim, a get() at its keep, the head's   *)
(* acquire() at its pop.                                                   *)
(*                                                                         *)
(* Where a mapping of this kind cannot work, the check is not made         *)
(* (MCWaitingRPool assumes them away):                                     *)
(*                                                                         *)
(*   - close(): a get() that read "open" keeps what it pops after close()  *)
(*     set the flag; linearizability orders it before close(), but a       *)
(*     mapping has no step to put it in (it would need a prophecy          *)
(*     variable).                                                          *)
(*                                                                         *)
(*   - growth, a failed reset, a failed new(): a call's units become a     *)
(*     resource several steps after the pop that decided it, when the      *)
(*     queue or the idle set may have changed; RPool makes it in one step. *)
(*                                                                         *)
(* Those steps' rules are checked against FifoPool (Waiting's Refinement)  *)
(* and, call by call, by the linearizability checker.                      *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS
    Clients,   \* Waiting's
    Maximum    \* Waiting's: the Static count

VARIABLES
    free, item, hands, held, own, waitq, closed   \* Waiting's

(* Waiting's resources in free, under another name: Waiting's operator     *)
(* Resources(s) would clash with RPool's constant Resources (SANY refuses  *)
(* to substitute a constant when the instantiating module has an operator  *)
(* of that name), which is why the mapping is a module apart.              *)
IdleIn(s) == {s[i] : i \in {j \in 1..Len(s) : s[j] > 0}}

(* What c's call has in hand that is still, to a caller, idle.             *)
InHand(c) == (IF item[c] > 0 THEN {item[c]} ELSE {}) \cup hands[c]

User == INSTANCE RPool WITH
    Resources <- 1..Maximum,
    Initial <- Maximum,
    ResetFails <- FALSE,
    idle <- IdleIn(free) \cup UNION {InHand(c) : c \in Clients},
    spare <- 0,
    held <- [c \in Clients |-> held[c] \cup (IF own[c] = 0 THEN {} ELSE {own[c]})],
    queue <- waitq,
    closed <- closed
=============================================================================
