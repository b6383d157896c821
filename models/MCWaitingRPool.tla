--------------------------- MODULE MCWaitingRPool ---------------------------
(***************************************************************************)
(* Waiting, restricted to where RPool is a view of it by a plain mapping   *)
(* (WaitingRPool.tla says why).  UserInit and UserSteps are RPool's Spec,  *)
(* in two parts so that TLC names the one that fails.                      *)
(***************************************************************************)
EXTENDS Waiting

ASSUME Static /\ Maximum = 1 /\ Closers = {} /\ ~NewFails

View == INSTANCE WaitingRPool
UserInit == View!User!Init
UserSteps == [][View!User!Next]_View!User!vars
=============================================================================
