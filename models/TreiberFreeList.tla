-------------------------- MODULE TreiberFreeList --------------------------
(***************************************************************************)
(* A mutant free list: the original rpool's Treiber stack, whose node      *)
(* objects are recycled (a node a pop frees is the next push's node).  It  *)
(* is checked against the same free-list property as FreeList, Exclusive:  *)
(* a resource is in one place at a time.  TLC finds the ABA: a pop reads   *)
(* head = A and A.next = B, stalls; others pop A and B and push A again;   *)
(* the stalled CAS still sees head = A and installs B, a node whose        *)
(* resource is already held.  rpool's deque has no nodes to recycle: its   *)
(* pop and append are single atomic calls (see _freelist.py).              *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets

CONSTANTS
    Clients,     \* the threads calling get() and release()
    Nodes,       \* the node objects, recycled
    Resources    \* the resources, all idle at first

Nil == 0
ASSUME Nil \notin Nodes /\ Cardinality(Nodes) >= Cardinality(Resources)

(* The stack at first: one node per resource, in any fixed order.          *)
NodeOf == CHOOSE f \in [Resources -> Nodes] :
              \A r, s \in Resources : r # s => f[r] # f[s]
Order == CHOOSE s \in [1..Cardinality(Resources) -> Resources] :
             \A r \in Resources : \E i \in DOMAIN s : s[i] = r

(* --algorithm TreiberFreeList {
variables
    head = NodeOf[Order[1]],
    next = [n \in Nodes |->
              IF \E i \in 1..Len(Order) - 1 : NodeOf[Order[i]] = n
              THEN NodeOf[Order[(CHOOSE i \in 1..Len(Order) - 1 : NodeOf[Order[i]] = n) + 1]]
              ELSE Nil],
    val = [n \in Nodes |->
              IF \E r \in Resources : NodeOf[r] = n
              THEN CHOOSE r \in Resources : NodeOf[r] = n ELSE Nil],
    unused = Nodes \ {NodeOf[r] : r \in Resources},  \* nodes free for reuse
    held = [c \in Clients |-> {}],
    hands = [c \in Clients |-> {}];                  \* ghost: in a release

fair process (client \in Clients)
variables top = Nil, after = Nil, node = Nil;
{
Idle:
    either goto ReadHead
    or { await held[self] # {}; goto Alloc };

\* get(): pop.
ReadHead:
    top := head;
    if (top = Nil) goto Idle;   \* empty: None
ReadNext:
    after := next[top];         \* through a node another pop may have freed
CasPop:
    if (head = top) {
        head := after;
        held[self] := held[self] \cup {val[top]};
        unused := unused \cup {top};   \* the node is freed, to be reused
        goto Idle
    } else goto ReadHead;

\* release(): push, into a recycled node.
Alloc:
    with (r \in held[self], n \in unused) {
        held[self] := held[self] \ {r};
        hands[self] := hands[self] \cup {r};
        unused := unused \ {n};
        val[n] := r;
        node := n
    };
ReadHeadPush:
    next[node] := head;
CasPush:
    if (head = next[node]) {
        head := node;
        hands[self] := {};
        goto Idle
    } else goto ReadHeadPush;
}
} *)
\* BEGIN TRANSLATION
VARIABLES pc, head, next, val, unused, held, hands, top, after, node

vars == << pc, head, next, val, unused, held, hands, top, after, node >>

ProcSet == (Clients)

Init == (* Global variables *)
        /\ head = NodeOf[Order[1]]
        /\ next = [n \in Nodes |->
                     IF \E i \in 1..Len(Order) - 1 : NodeOf[Order[i]] = n
                     THEN NodeOf[Order[(CHOOSE i \in 1..Len(Order) - 1 : NodeOf[Order[i]] = n) + 1]]
                     ELSE Nil]
        /\ val = [n \in Nodes |->
                     IF \E r \in Resources : NodeOf[r] = n
                     THEN CHOOSE r \in Resources : NodeOf[r] = n ELSE Nil]
        /\ unused = Nodes \ {NodeOf[r] : r \in Resources}
        /\ held = [c \in Clients |-> {}]
        /\ hands = [c \in Clients |-> {}]
        (* Process client *)
        /\ top = [self \in Clients |-> Nil]
        /\ after = [self \in Clients |-> Nil]
        /\ node = [self \in Clients |-> Nil]
        /\ pc = [self \in ProcSet |-> "Idle"]

Idle(self) == /\ pc[self] = "Idle"
              /\ \/ /\ pc' = [pc EXCEPT ![self] = "ReadHead"]
                 \/ /\ held[self] # {}
                    /\ pc' = [pc EXCEPT ![self] = "Alloc"]
              /\ UNCHANGED << head, next, val, unused, held, hands, top, after, 
                              node >>

ReadHead(self) == /\ pc[self] = "ReadHead"
                  /\ top' = [top EXCEPT ![self] = head]
                  /\ IF top'[self] = Nil
                        THEN /\ pc' = [pc EXCEPT ![self] = "Idle"]
                        ELSE /\ pc' = [pc EXCEPT ![self] = "ReadNext"]
                  /\ UNCHANGED << head, next, val, unused, held, hands, after, 
                                  node >>

ReadNext(self) == /\ pc[self] = "ReadNext"
                  /\ after' = [after EXCEPT ![self] = next[top[self]]]
                  /\ pc' = [pc EXCEPT ![self] = "CasPop"]
                  /\ UNCHANGED << head, next, val, unused, held, hands, top, 
                                  node >>

CasPop(self) == /\ pc[self] = "CasPop"
                /\ IF head = top[self]
                      THEN /\ head' = after[self]
                           /\ held' = [held EXCEPT ![self] = held[self] \cup {val[top[self]]}]
                           /\ unused' = (unused \cup {top[self]})
                           /\ pc' = [pc EXCEPT ![self] = "Idle"]
                      ELSE /\ pc' = [pc EXCEPT ![self] = "ReadHead"]
                           /\ UNCHANGED << head, unused, held >>
                /\ UNCHANGED << next, val, hands, top, after, node >>

Alloc(self) == /\ pc[self] = "Alloc"
               /\ \E r \in held[self]:
                    \E n \in unused:
                      /\ held' = [held EXCEPT ![self] = held[self] \ {r}]
                      /\ hands' = [hands EXCEPT ![self] = hands[self] \cup {r}]
                      /\ unused' = unused \ {n}
                      /\ val' = [val EXCEPT ![n] = r]
                      /\ node' = [node EXCEPT ![self] = n]
               /\ pc' = [pc EXCEPT ![self] = "ReadHeadPush"]
               /\ UNCHANGED << head, next, top, after >>

ReadHeadPush(self) == /\ pc[self] = "ReadHeadPush"
                      /\ next' = [next EXCEPT ![node[self]] = head]
                      /\ pc' = [pc EXCEPT ![self] = "CasPush"]
                      /\ UNCHANGED << head, val, unused, held, hands, top, 
                                      after, node >>

CasPush(self) == /\ pc[self] = "CasPush"
                 /\ IF head = next[node[self]]
                       THEN /\ head' = node[self]
                            /\ hands' = [hands EXCEPT ![self] = {}]
                            /\ pc' = [pc EXCEPT ![self] = "Idle"]
                       ELSE /\ pc' = [pc EXCEPT ![self] = "ReadHeadPush"]
                            /\ UNCHANGED << head, hands >>
                 /\ UNCHANGED << next, val, unused, held, top, after, node >>

client(self) == Idle(self) \/ ReadHead(self) \/ ReadNext(self)
                   \/ CasPop(self) \/ Alloc(self) \/ ReadHeadPush(self)
                   \/ CasPush(self)

(* Allow infinite stuttering to prevent deadlock on termination. *)
Terminating == /\ \A self \in ProcSet: pc[self] = "Done"
               /\ UNCHANGED vars

Next == (\E self \in Clients: client(self))
           \/ Terminating

Spec == /\ Init /\ [][Next]_vars
        /\ \A self \in Clients : WF_vars(client(self))

Termination == <>(\A self \in ProcSet: pc[self] = "Done")

\* END TRANSLATION

(* The resources on the stack: the values of the nodes reachable from head *)
(* (at most one walk per node, so a cycle cannot loop).                    *)
RECURSIVE Walk(_, _)
Walk(n, fuel) == IF n = Nil \/ fuel = 0 THEN <<>> ELSE <<val[n]>> \o Walk(next[n], fuel - 1)
Stacked == Walk(head, Cardinality(Nodes))

Places(r) == Cardinality({i \in 1..Len(Stacked) : Stacked[i] = r})
             + Cardinality({c \in Clients : r \in held[c]})
             + Cardinality({c \in Clients : r \in hands[c]})

(* The same property as FreeList's Exclusive.                             *)
Exclusive == \A r \in Resources : Places(r) <= 1
=============================================================================
