----------------------------- MODULE JobRunner ------------------------------
(***************************************************************************)
(* An example of a user's spec built on rpool's: a job runner whose jobs   *)
(* each run on a worker thread, take a database connection from a pool     *)
(* with acquire() (waiting when none is free), run, and release what they  *)
(* took; once every job is done, the runner closes the pool.               *)
(*                                                                         *)
(* The pool is the shipped spec, src/rpool/testing/tla/RPool.tla (in an    *)
(* installed rpool: rpool.testing.tla_path()), found on TLC's library      *)
(* path: -DTLA-Library=<that directory>.  docs/testing-your-code.md walks  *)
(* through this module.                                                    *)
(*                                                                         *)
(* Audit is a bug a user might write: each job also writes an audit record *)
(* on a second connection, acquired while it holds its first.  With as     *)
(* many jobs as connections, every job can hold one and wait for another:  *)
(* MutantJobRunnerAudit.cfg expects TLC to report NoDeadlock violated.     *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Jobs,            \* the jobs, each on its own worker thread
    Connections,     \* the identities a connection may have
    MaxConnections,  \* the pool's bound: AutoScale(initial=0, maximum=MaxConnections)
    Audit            \* the planted bug: a second connection per job, for its audit record

VARIABLES
    idle, spare, held, queue, closed,  \* the pool's (RPool.tla)
    pc                                 \* pc[j]: "ask", "waiting", "run" or "done"

vars == <<idle, spare, held, queue, closed, pc>>

Pool == INSTANCE RPool WITH
    Clients <- Jobs,
    Resources <- Connections,
    Maximum <- MaxConnections,
    Initial <- 0,
    ResetFails <- TRUE    \* a connection whose rollback fails is discarded

(* The connections a job needs before it runs.                             *)
Need == IF Audit THEN 2 ELSE 1

(* Where a job goes once acquire() has returned a connection.              *)
AfterAcquire(j) == IF Cardinality(held'[j]) = Need THEN "run" ELSE "ask"

Init == Pool!Init /\ pc = [j \in Jobs |-> "ask"]

(* The worker calls acquire(): a connection at once, or it waits.          *)
Ask(j) ==
    /\ pc[j] = "ask"
    /\ \/ Pool!acquire(j) /\ pc' = [pc EXCEPT ![j] = AfterAcquire(j)]
       \/ Pool!wait(j) /\ pc' = [pc EXCEPT ![j] = "waiting"]

(* The waiting worker is served, as the head of the queue.                 *)
Served(j) ==
    /\ pc[j] = "waiting"
    /\ Pool!acquire(j)
    /\ pc' = [pc EXCEPT ![j] = AfterAcquire(j)]

(* The job has run: its guards are released, one at a time.                *)
Finish(j) ==
    /\ pc[j] = "run"
    /\ \E r \in held[j] : Pool!release(j, r)
    /\ pc' = [pc EXCEPT ![j] = IF held'[j] = {} THEN "done" ELSE "run"]

(* Every job done, the runner closes the pool.                             *)
Shutdown ==
    /\ \A j \in Jobs : pc[j] = "done"
    /\ ~closed
    /\ Pool!close
    /\ UNCHANGED pc

Worker(j) == Ask(j) \/ Served(j) \/ Finish(j)

Next == (\E j \in Jobs : Worker(j)) \/ Shutdown

(* Each worker thread runs, and the runner shuts down, when they can.      *)
Spec ==
    /\ Init /\ [][Next]_vars
    /\ \A j \in Jobs : WF_vars(Worker(j))
    /\ WF_vars(Shutdown)

(***************************************************************************)
(* What the runner must guarantee.                                         *)
(***************************************************************************)

TypeOK == Pool!TypeOK /\ pc \in [Jobs -> {"ask", "waiting", "run", "done"}]

(* Never more connections open than the bound, never one shared by two     *)
(* jobs (rpool's guarantees, which the runner relies on).                  *)
WithinBound == Cardinality(Pool!Live) <= MaxConnections
NotShared == Pool!Exclusive

(* No deadlock: until the runner has shut down, some step can be taken.    *)
(* (A waiting worker with nothing coming is stuck: Served is not enabled.) *)
NoDeadlock == ~closed => ENABLED Next

(* Every job is eventually done, and the pool closed.                      *)
EveryJobDone == <>(closed /\ \A j \in Jobs : pc[j] = "done")
=============================================================================
