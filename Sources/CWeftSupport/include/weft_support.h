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

#endif
