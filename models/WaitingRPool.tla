---------------------------- MODULE WaitingRPool ----------------------------
(***************************************************************************)
(* The users' spec, RPool (src/rpool/testing/tla/RPool.tla), as a view of  *)
(* the waiting model: every step of Waiting is one RPool step or changes   *)
(* none of RPool's variables, so each behaviour of the code's model, seen  *)
(* one call at a time, is one that a user's spec built on RPool allows.    *)
(*                                                                         *)
(* The mapping: a resource is idle while it is in free, in a get()'s hand  *)
(* after its pop (item), or inside a call on its way back (hands: a get()  *)
(* that yields it, or a release() from its Claim on); the replacement of a *)
(* resource whose reset failed is idle from that release()'s Claim on; the *)
(* head's popped resource is its caller's (own), as in Waiting's           *)
(* refinement to FifoPool; the queue is the ghost waitq. So a release() is *)
(* linearized at its Claim (where the model decides whether the reset      *)
(* fails), a get() at its keep, the head's acquire() at its pop, a timeout *)
(* at GiveUp.                                                              *)
(*                                                                         *)
(* Where a mapping of this kind cannot work, the check is not made         *)
(* (MCWaitingRPool assumes them away):                                     *)
(*                                                                         *)
(*   - close(): a get() that read "open" keeps what it pops after close()  *)
(*     set the flag; linearizability orders it before close(), but a       *)
(*     mapping has no step to put it in (it would need a prophecy          *)
(*     variable).                                                          *)
(*                                                                         *)
(*   - growth (AutoScale, or a Static grant after a failed new()): a       *)
(*     call's units become a resource several steps after the pop that     *)
(*     decided it, when the queue or the idle set may have changed; RPool  *)
(*     makes it in one step.                                               *)
(*                                                                         *)
(* Those steps' rules are checked against FifoPool (Waiting's Refinement)  *)
(* and, call by call, by the linearizability checker.                      *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Clients,     \* Waiting's
    Maximum,     \* Waiting's: the Static count
    ResetFails   \* Waiting's

VARIABLES
    free, item, hands, held, own, waitq, closed, pc, back, live   \* Waiting's

(* Waiting's resources in free, under another name: Waiting's operator     *)
(* Resources(s) would clash with RPool's constant Resources (SANY refuses  *)
(* to substitute a constant when the instantiating module has an operator  *)
(* of that name), which is why the mapping is a module apart.              *)
IdleIn(s) == {s[i] : i \in {j \in 1..Len(s) : s[j] > 0}}

(* What c's call has in hand that is still, to a caller, idle.             *)
InHand(c) == (IF item[c] > 0 THEN {item[c]} ELSE {}) \cup hands[c]

(* A release() whose reset failed (decided at its Claim, the Idle step):   *)
(* from the Claim on, its replacement is idle to a caller, under the id    *)
(* Replace will give it: Waiting's Fresh once the failed resource is gone. *)
(* Two releases replacing at once would get one id here, so MCWaitingRPool *)
(* assumes one resource (Static(1)).                                       *)
Replacing(c) == pc[c] \in {"Discard", "CheckClosed_retire", "Replace"}
Gone(c) == IF pc[c] = "Discard" THEN live \ {back[c]} ELSE live
Replacement(c) == CHOOSE r \in 1..(Cardinality(Gone(c)) + 1) : r \notin Gone(c)
Replacements == {Replacement(c) : c \in {d \in Clients : Replacing(d)}}

User == INSTANCE RPool WITH
    Resources <- 1..Maximum,
    Initial <- Maximum,
    idle <- IdleIn(free) \cup UNION {InHand(c) : c \in Clients} \cup Replacements,
    spare <- 0,
    held <- [c \in Clients |-> held[c] \cup (IF own[c] = 0 THEN {} ELSE {own[c]})],
    queue <- waitq,
    closed <- closed
=============================================================================
