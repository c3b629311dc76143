// Per-interpreter memory budgets (`Interpreter.Options.memoryBudget`). The heap is
// one per process, so an interpreter's share is counted in two parts:
// - `live`: the bytes the last collection reached from the interpreter's own roots
//   (its attached threads' stacks and frames, its globals). The collector marks
//   these before any other roots, after the objects pinned for the process
//   (builtins), so nothing is charged to two interpreters or to none that owns it;
// - `allocated`: the bytes its threads allocated since, reported in the batches the
//   heap's own total uses (Heap.report), so counting costs nothing per object.
// When `live + allocated` passes the budget, the reporting thread asks for a
// collection and flags its buffer. At its next safepoint, once the collection has
// run, it raises MemoryError if the interpreter is still over (VM.safepoint).
import Synchronization

final class MemoryAccount: Sendable {
    let budget: Int
    private let live = Atomic<Int>(0)
    private let allocated = Atomic<Int>(0)

    init(budget: Int) { self.budget = budget }

    /// The bytes the interpreter takes now, as far as the collector knows.
    var bytes: Int { live.load(ordering: .relaxed) &+ allocated.load(ordering: .relaxed) }

    var isOver: Bool { bytes > budget }

    /// A thread of the interpreter allocated `n` bytes; whether that took it over.
    func noteAllocated(_ n: Int) -> Bool {
        live.load(ordering: .relaxed) &+ allocated.add(n, ordering: .relaxed).newValue > budget
    }

    /// Set by a collection, with every thread stopped.
    func collected(live n: Int) {
        live.store(n, ordering: .relaxed)
        allocated.store(0, ordering: .relaxed)
    }
}

extension VM {
    /// A safepoint's slow path (a backward jump or a call found `attention` set):
    /// pending interrupts and cancellations, a pending collection, then the
    /// memory budget once the collection has run.
    @inline(never)
    func safepoint() throws {
        try thread.checkPending(cancellable: false)
        Heap.safepoint(self)
        if allocations.overBudget {
            allocations.overBudget = false
            if let account = core.memory, account.isOver { throw SizeLimits.memoryError(account.budget) }
        }
    }
}
