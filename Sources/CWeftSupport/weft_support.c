#include "weft_support.h"

// Deliberately empty; see the header. It must stay out of line (this file is its own
// module, and SwiftPM does not link-time-optimize C into Swift).
void weft_release_fence(void) {}

__thread void *weft_heap_context;

// Out-of-line container word accesses (see weft_support.h): the ones ThreadSanitizer
// builds call, so the sanitizer instruments their acquire/release pairs.
unsigned long long weft_load_word_checked(const void *p) {
    return __atomic_load_n((const unsigned long long *)p, __ATOMIC_ACQUIRE);
}
void weft_store_word_checked(void *p, unsigned long long v) {
    __atomic_store_n((unsigned long long *)p, v, __ATOMIC_RELEASE);
}
int weft_load_slot_checked(const void *p) {
    return __atomic_load_n((const int *)p, __ATOMIC_ACQUIRE);
}
void weft_store_slot_checked(void *p, int v) {
    __atomic_store_n((int *)p, v, __ATOMIC_RELEASE);
}
