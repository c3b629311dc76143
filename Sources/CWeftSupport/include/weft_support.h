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

/// The Swift runtime's strong reference count of a heap object, read without
/// retaining it (a Swift call would retain its argument).
static inline unsigned long weft_retain_count(void *object) {
    extern unsigned long swift_retainCount(void *);
    return swift_retainCount(object);
}

#endif
