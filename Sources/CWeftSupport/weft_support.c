#include "weft_support.h"

// Deliberately empty; see the header. It must stay out of line (this file is its own
// module, and SwiftPM does not link-time-optimize C into Swift).
void weft_release_fence(void) {}

__thread void *weft_heap_context;

