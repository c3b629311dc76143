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

#endif
