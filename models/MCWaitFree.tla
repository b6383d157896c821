----------------------------- MODULE MCWaitFree -----------------------------
(***************************************************************************)
(* Wait-freedom as an invariant.  `steps` counts, per client, the steps    *)
(* of the call in progress (its procedures' steps included) and is reset  *)
(* when the client is Idle again; WaitFree says no call ever takes more    *)
(* than StepBound steps of its own, whatever the other clients and the     *)
(* collector do.  A separate module because the counter multiplies the     *)
(* state space: the other configurations check FreeList's own variables.  *)
(***************************************************************************)
EXTENDS MCFreeList

CONSTANT StepBound   \* the longest call, in its own steps (docs/models.md)

VARIABLE steps

mcvars == <<vars, steps>>

MCInit == Init /\ steps = [c \in Clients |-> 0]

Counted(c) ==
    /\ ClientStep(c)
    /\ steps' = [steps EXCEPT ![c] = IF pc'[c] = "Idle" THEN 0 ELSE @ + 1]

MCNext ==
    \/ collector /\ UNCHANGED steps
    \/ \E c \in Clients : Counted(c)

MCSpec == MCInit /\ [][MCNext]_mcvars

WaitFree == \A c \in Clients : steps[c] <= StepBound
=============================================================================
