#include "weft_support.h"

// Deliberately empty; see the header. It must stay out of line (this file is its own
// module, and SwiftPM does not link-time-optimize C into Swift).
void weft_release_fence(void) {}

__thread void *weft_heap_context;

const void *weft_class_pointers[8];
const void *weft_tables[4];
int weft_multithreaded;


void weft_retain_unpublished(void *object) {
    extern void *swift_retain(void *);
    unsigned long long *counts = (unsigned long long *)((char *)object + 8);
    unsigned long long bits = __atomic_load_n(counts, __ATOMIC_RELAXED);
    if (bits >> 63) { swift_retain(object); return; }
    __atomic_store_n(counts, bits + (1ull << 33), __ATOMIC_RELAXED);
}
