----------------------------- MODULE MCFreeList -----------------------------
(***************************************************************************)
(* Bounded wrapper of FreeList for TLC.  FreeList stays unbounded; the      *)
(* constants of each MC*.cfg bound it (clients, count, maximum), and this   *)
(* module adds the one bound an unbounded pool needs:                       *)
(*                                                                         *)
(* StateLimit, the state constraint for AutoScale without a maximum, whose *)
(* capacity otherwise grows without end.  No step of the algorithm reads  *)
(* the capacity except Reserve's growth size, and every property is about  *)
(* the resources and units present, so a violation at a larger capacity  *)
(* has the same shape at a smaller one; each cfg says why its Limit is    *)
(* enough.  Bounded pools ignore it (their capacity is bounded by          *)
(* Maximum, their orphans by their resources).                             *)
(***************************************************************************)
EXTENDS FreeList

CONSTANT Limit   \* unbounded pools: explore capacities up to this

StateLimit == Bounded \/ Capacity <= Limit
=============================================================================
