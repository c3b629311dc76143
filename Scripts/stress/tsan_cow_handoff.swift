// tsan_cow_handoff.swift — why ThreadSanitizer reports "data races" on Weft's list,
// map and instance storage even where every access holds the object's lock.
//
//   swiftc -O -sanitize=thread -g Scripts/stress/tsan_cow_handoff.swift -o /tmp/cow
//   SWIFT_BACKTRACE=enable=no /tmp/cow            # 2 reports: "data race ... in set"
//   swiftc -O -sanitize=thread -g -D COPY_UNDER_LOCK Scripts/stress/tsan_cow_handoff.swift -o /tmp/cow2
//   SWIFT_BACKTRACE=enable=no /tmp/cow2           # no report
//
// Every access to `items` holds a pthread mutex (which TSan understands). The reader
// takes a copy-on-write snapshot under the lock and reads it after unlocking; when it
// drops the snapshot, the buffer's reference count goes back to 1 and the writer's
// next `items[i] = v` mutates that buffer in place. The ordering between the reader's
// reads and the writer's in-place write goes through the reference count (a release
// decrement in swift_release, an acquiring load in the uniqueness check), inside the
// Swift runtime, which is not instrumented: TSan sees no happens-before edge and
// reports a race. It is not a race. Snapshots that copy the elements into a fresh
// buffer while the lock is held (-D COPY_UNDER_LOCK) share no buffer between threads,
// and TSan is silent. Weft's `ListObj.snapshot`, `MapObj.entries`, instance field
// reads and `x.snapshot + y.snapshot` share buffers this way (issue 7 report).
import Foundation

final class Box: @unchecked Sendable {
    var m = pthread_mutex_t()
    var items: [Int] = [1, 2, 3, 4]
    init() { pthread_mutex_init(&m, nil) }
    func snapshot() -> [Int] {
        pthread_mutex_lock(&m); defer { pthread_mutex_unlock(&m) }
        #if COPY_UNDER_LOCK
        return items.map { $0 }
        #else
        return items
        #endif
    }
    func set(_ i: Int, _ v: Int) { pthread_mutex_lock(&m); items[i] = v; pthread_mutex_unlock(&m) }
}

let b = Box()
let done = DispatchSemaphore(value: 0)
let reader = Thread {
    var s = 0
    for _ in 0..<200_000 { let snap = b.snapshot(); s &+= snap[0] &+ snap[3] }
    print("sum", s)
    done.signal()
}
let writer = Thread {
    for i in 0..<200_000 { b.set(i % 4, i) }
    done.signal()
}
reader.start(); writer.start()
done.wait(); done.wait()
