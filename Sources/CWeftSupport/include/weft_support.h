// Small C helpers for the Weft library that Swift cannot express directly.
#ifndef WEFT_SUPPORT_H
#define WEFT_SUPPORT_H

/// An empty function defined in another module, so the Swift optimizer cannot see its
/// body. Swift must assume a call to it may release any object, so it never moves a
/// retain of a value loaded before the call to after it. Object locks call this
/// just before their releasing store: every value copied out of a locked object is
/// retained while the lock is still held (docs/concurrency-model.md, "Retain before
/// unlock").
void weft_release_fence(void);

/// The allocation context of the current OS thread (the collector's per-thread
/// allocation buffer, Heap/Heap.swift), or NULL. A C thread-local, because Swift
/// has none; the inline accessors compile to one %fs-relative load or store.
extern __thread void *weft_heap_context;
static inline void *weft_get_heap_context(void) { return weft_heap_context; }
static inline void weft_set_heap_context(void *p) { weft_heap_context = p; }

/// The class metadata of the object classes the VM tells apart on hot paths
/// (Values/Word.swift, `ClassPointers`): filled on first use, then read with one
/// plain load. A Swift `static let` of a class's metadata costs a call to
/// swift_once on every read (3% of richards' instructions).
extern const void *weft_class_pointers[8];
static inline const void *weft_class_pointer(int i) {
    return __atomic_load_n(&weft_class_pointers[i], __ATOMIC_RELAXED);
}
static inline void weft_set_class_pointer(int i, const void *p) {
    __atomic_store_n(&weft_class_pointers[i], p, __ATOMIC_RELAXED);
}

/// The locking switch (Runtime/LockingSwitch.swift): nonzero once object locks
/// must be taken. Every object operation reads it; a Swift `static let` of an
/// `Atomic` cost a swift_once call per read. Set once, never cleared.
extern int weft_multithreaded;
static inline int weft_is_multithreaded(void) {
    return __atomic_load_n(&weft_multithreaded, __ATOMIC_RELAXED);
}
static inline void weft_set_multithreaded(void) {
    __atomic_store_n(&weft_multithreaded, 1, __ATOMIC_SEQ_CST);
}

/// Tables built once that the VM reads on hot paths (the method tables of str,
/// list and map, the shared one-character strings), for the same reason: kept
/// here, filled by the first reader from the `static let` that builds them.
/// Published with release and read with acquire ordering, so a reader that sees
/// a table sees it filled.
extern const void *weft_tables[4];
static inline const void *weft_table(int i) {
    return __atomic_load_n(&weft_tables[i], __ATOMIC_ACQUIRE);
}
static inline void weft_set_table(int i, const void *p) {
    __atomic_store_n(&weft_tables[i], p, __ATOMIC_RELEASE);
}

/// Whether a Swift heap object has a strong reference besides one (the collector's
/// own): the collector's test for objects that Swift code holds. Reads the inline
/// reference count (64-bit layout: the strong count minus one in bits 33-62; bit 63
/// set means the counts live in a side table, as after a weak reference was taken,
/// or the object is immortal), and asks the runtime only in that case. Checked by
/// HeapTests.testSwiftHeldObjectsAreRoots.
static inline int weft_has_extra_strong_refs(void *object) {
    extern unsigned long swift_retainCount(void *);
    unsigned long long bits = __atomic_load_n((unsigned long long *)((char *)object + 8), __ATOMIC_RELAXED);
    if (bits >> 63) return swift_retainCount(object) > 1;
    return ((bits >> 33) & 0x3FFFFFFFull) != 0;
}

/// Adds the collector's strong reference to an object `Obj.init` has just made, which
/// no other thread can know of yet: a plain add to the inline count (same layout as
/// above) instead of the runtime's atomic read-modify-write, which is a locked
/// instruction on every allocation. Falls back to `swift_retain` if the counts are
/// not inline. Out of line on purpose (weft_support.c): the optimizer moves Swift's
/// own retains and releases across code it can see, and one moved between this
/// load and store would be lost; it never moves them across an opaque call that is
/// handed the object. Checked by HeapTests.testSwiftHeldObjectsAreRoots.
void weft_retain_unpublished(void *object);

/// Drops the collector's reference to an object the sweep found unreachable, which
/// frees it. Nothing else refers to it and no thread can reach it any more, so the
/// runtime's non-atomic release is enough: it skips the locked compare-and-swap
/// that stalls on every dead object's cold header.
static inline void weft_release_dead(void *object) {
    extern void swift_nonatomic_release(void *);
    swift_nonatomic_release(object);
}

/// Whether a dead object's inline counts show nothing but the collector's
/// reference: no extra strong count, no unowned or weak reference (either would
/// need the memory to outlive the object), no side table, not deiniting. Such an
/// object's memory may be freed directly, skipping the runtime's release, deinit
/// and deallocation chain (Heap.sweep). Checked by
/// HeapTests.testDeadObjectsAreFreedDirectly.
static inline int weft_held_only_by_collector(const void *object) {
    unsigned long long bits = __atomic_load_n((const unsigned long long *)((const char *)object + 8), __ATOMIC_RELAXED);
    // Bits 32-63: deiniting, the extra strong count, the side-table flag; bits
    // 1-31: the unowned count, which is 1 for all strong references together.
    return (bits >> 32) == 0 && ((bits >> 1) & 0x7FFFFFFFull) == 1;
}

/// Frees the memory of such an object. The runtime allocates objects of alignment
/// 16 or less with malloc (swift_slowAlloc), so free is their deallocation.
static inline void weft_free_dead(void *object) {
    extern void free(void *);
    free(object);
}

/// Asks the CPU to start loading the cache line at `p` (an object header the
/// collector is about to read and write): the collector's loops issue these a few
/// objects ahead, so the cache misses of a scattered heap overlap instead of
/// following one another.
static inline void weft_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }

/// One word of a container's storage (Heap/WordBlock.swift): script threads read
/// list elements, map entries and fields without the object's lock while a writer
/// holds it, so a word access must neither tear nor count as a data race. Stores
/// release and loads acquire: a thread that loads a word referring to an object
/// another thread just made also sees that object's initialized fields (safe
/// publication, as Java's final fields give). On x86-64 each is one plain move; on
/// arm64 a stlr/ldar.
/// (Swift compiles these imported inline functions with the sanitizer too, so
/// ThreadSanitizer builds see the pairs: checked by the CI's tsan race suites.)
static inline unsigned long long weft_load_word(const void *p) {
    return __atomic_load_n((const unsigned long long *)p, __ATOMIC_ACQUIRE);
}
static inline void weft_store_word(void *p, unsigned long long v) {
    __atomic_store_n((unsigned long long *)p, v, __ATOMIC_RELEASE);
}

/// A slot of a map's index table (Values/MapObj.swift): published with release
/// ordering after the entry it points to is written, read with acquire ordering by
/// lock-free lookups, so a reader that finds an entry index sees the whole entry.
static inline int weft_load_slot(const void *p) {
    return __atomic_load_n((const int *)p, __ATOMIC_ACQUIRE);
}
static inline void weft_store_slot(void *p, int v) {
    __atomic_store_n((int *)p, v, __ATOMIC_RELEASE);
}

/// An object's remembered flag (Heap/Generations.swift): set by whichever script
/// thread first stores a young object into an old one, possibly two at once, and
/// cleared by the collector while every thread is stopped.
static inline unsigned char weft_load_byte(const void *p) {
    return __atomic_load_n((const unsigned char *)p, __ATOMIC_RELAXED);
}
static inline void weft_store_byte(void *p, unsigned char v) {
    __atomic_store_n((unsigned char *)p, v, __ATOMIC_RELAXED);
}

/// A string's flat flag (Values/StrObj.swift, `StrObj.isFlatByte`): a thread that
/// flattens a rope stores the whole contents, then sets the flag with release; a
/// reader that loads it set (acquire) sees those contents.
static inline unsigned char weft_load_byte_acquire(const void *p) {
    return __atomic_load_n((const unsigned char *)p, __ATOMIC_ACQUIRE);
}
static inline void weft_store_byte_release(void *p, unsigned char v) {
    __atomic_store_n((unsigned char *)p, v, __ATOMIC_RELEASE);
}

#endif
