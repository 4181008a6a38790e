import CMPI

/// A non-blocking all-reduce in flight (from `startAllReduceSum`).
///
/// The buffer handed to `startAllReduceSum` belongs to MPI until `wait()` returns: do not read,
/// write or free it before then. Call `wait()` exactly where the sum is needed (e.g. just
/// before the optimizer step), so backward keeps computing while the bytes travel. A request
/// dropped without `wait()` waits in its deinit, so MPI never writes into freed memory.
public final class AllReduceRequest {
    /// Open MPI requests, one per piece of the buffer; empty once complete.
    private var pending: [MPI_Request?]
    /// The communicator that aborts the job if a wait fails (nil for already-complete requests).
    private let owner: MPICommunicator?

    init(pending: [MPI_Request?], owner: MPICommunicator) {
        self.pending = pending
        self.owner = owner
    }

    /// A request that is already complete (the single-process sum is the identity).
    init() {
        self.pending = []
        self.owner = nil
    }

    /// Whether the sum has arrived; never blocks, and lets MPI progress the transfer.
    public var isComplete: Bool {
        guard let owner, !pending.isEmpty else { return true }
        var flag: Int32 = 0
        owner.check(MPI_Testall(Int32(pending.count), &pending, &flag, nil), "MPI_Testall")
        if flag != 0 { pending = [] }
        return flag != 0
    }

    /// Blocks until every rank's contribution is summed into the buffer.
    public func wait() {
        guard let owner, !pending.isEmpty else { return }
        owner.check(MPI_Waitall(Int32(pending.count), &pending, nil), "MPI_Waitall on an all-reduce")
        pending = []
    }

    deinit { wait() }
}
