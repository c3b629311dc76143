// Which VM the current OS thread is running, when it is running host code on a
// script thread (a native function or a host object's method, or the body of a
// host call). A host call made from there (`value.call`, `interp.eval`) must run on
// that same VM: starting another thread and blocking this one while it stays
// "running" for the collector would stop every collection (and so every thread)
// until the call returns, and a script error would lose the frames around it.
#if canImport(Glibc)
import Glibc
#endif

enum CurrentVM {
    /// A pthread key, since Swift has no thread-locals; read once per host call.
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// The VM this thread is running host code for, or nil on a host thread.
    static var vm: VM? {
        guard let p = pthread_getspecific(key) else { return nil }
        return Unmanaged<VM>.fromOpaque(p).takeUnretainedValue()
    }

    /// Runs `body` with `vm` as this thread's current VM (nested calls restore the
    /// outer one).
    static func with<R>(_ vm: VM?, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, vm.map { Unmanaged.passUnretained($0).toOpaque() })
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}
