// Generational collection (docs/vm.md §3, "Generations"): most objects die young, so most
// collections are *minor*: they mark only what was allocated since the last
// collection (the young generation) and sweep only that. Objects are never moved:
// an object is old once a collection has marked it, and its mark stays equal to the
// current epoch until the next *major* collection flips the epoch and marks
// everything again ("sticky" mark bits). A minor collection's marking stops at old
// objects, so an old object's references to young ones must be known some other way:
// - containers the VM writes all the time (lists, maps, instances, cells) call the
//   write barrier `Heap.noteStore` after storing a value: the first time a young
//   object is stored into an old container, the container is *remembered* (a flag
//   byte in its header, and an entry in the storing thread's list), and the next
//   minor collection traces it. A list records the element instead (the list and
//   the index, in the thread's `rememberedSlots`), so a minor collection after
//   `xs.append(Point())` or `xs[i] = [...]` on a long old list looks at the
//   elements stored, not at the whole list; an operation that moves elements
//   (insert, remove, reverse, sort) remembers the whole list;
// - every other kind of object that can change what it refers to (classes, runtime
//   objects, iterators, closures' prototypes...) is traced again by every minor
//   collection once it is old (`Obj.rescannedWhenOld`): there are few of them;
// - roots (stacks, globals' tables, native roots, Swift-held young objects) are
//   traced as in a major collection.
import CWeftSupport

extension Heap {
    /// Where `Obj.gcRemembered` lives: right after the mark byte. HeapTests checks it.
    static let rememberedOffset = 18

    /// The write barrier: `container` (an object the VM stores into) was just given
    /// `v`. Remembers the container when it is old and `v` is a young object (mark
    /// 0), unless it is remembered already. Two loads and compares in the common
    /// case (a value that is no heap object, or an old one, or a young container).
    @inline(__always) static func noteStore(into container: AnyObject, _ v: Word) {
        guard isYoungObject(v) else { return }
        let p = Unmanaged.passUnretained(container).toOpaque()
        if isOldAndUnremembered(p) { remember(p) }
    }

    /// An old container published a new storage block of `bytes`: the old
    /// generation grew without promoting anything, so the next major collection
    /// comes as much sooner (a big map or list built in place grows only this way;
    /// its young contents are counted when minor collections promote them).
    /// Lists and maps report it; instances, whose blocks are small, do not, nor do
    /// threads that run no script.
    @inline(__always) static func noteGrowth(of container: AnyObject, bytes: Int) {
        guard let ctx = weft_get_heap_context(), isOld(container) else { return }
        Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.oldGrowthBytes &+= bytes }
    }

    /// Whether `o` has survived a collection (its mark is the epoch's, not 0).
    @inline(__always) static func isOld(_ o: AnyObject) -> Bool {
        Unmanaged.passUnretained(o).toOpaque().load(fromByteOffset: markOffset, as: UInt8.self) != 0
    }

    /// Whether `v` is a heap object no collection has marked yet.
    @inline(__always) private static func isYoungObject(_ v: Word) -> Bool {
        v.isHeap && v.heapAddress.load(fromByteOffset: markOffset, as: UInt8.self) == 0
    }

    /// Whether the object at `p` is old and not remembered yet.
    @inline(__always) private static func isOldAndUnremembered(_ p: UnsafeMutableRawPointer) -> Bool {
        p.load(fromByteOffset: markOffset, as: UInt8.self) != 0 && weft_load_byte(p + rememberedOffset) == 0
    }

    /// The write barrier of a list element: `list[i]` was just set to `v`. Records
    /// the element when the list is old and `v` young, unless the whole list is
    /// remembered.
    @inline(__always) static func noteStore(into list: ListObj, at i: Int, _ v: Word) {
        guard isYoungObject(v) else { return }
        let p = Unmanaged.passUnretained(list).toOpaque()
        if isOldAndUnremembered(p) { rememberSlot(p, i) }
    }

    /// How many list elements a thread records before it asks for a collection
    /// (which empties the record), so a loop that stores one young object into
    /// every element of an old list keeps the record small.
    static let rememberedSlotLimit = 1 << 16

    @inline(never) private static func rememberSlot(_ p: UnsafeMutableRawPointer, _ i: Int) {
        guard let ctx = weft_get_heap_context() else { remember(p); return }
        Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { b in
            b.rememberedSlots.append(p)
            b.rememberedSlots.append(UnsafeMutableRawPointer(bitPattern: i &+ 1)!)
            if b.rememberedSlots.count == 2 * rememberedSlotLimit { request() }
        }
    }

    /// The write barrier for a bulk store (an append of many values, a copy of a
    /// whole container): remembers `container` if it is old, whatever it was given.
    static func noteBulkStore(into container: AnyObject) {
        let p = Unmanaged.passUnretained(container).toOpaque()
        if isOldAndUnremembered(p) { remember(p) }
    }

    @inline(never) private static func remember(_ p: UnsafeMutableRawPointer) {
        weft_store_byte(p + rememberedOffset, 1)
        if let ctx = weft_get_heap_context() {
            Unmanaged<AllocBuffer>.fromOpaque(ctx)._withUnsafeGuaranteedRef { $0.remembered.append(p) }
        } else {
            rememberShared(p)
        }
    }
}

extension Obj {
    /// `rescannedWhenOld` of the object at `p`. Every survivor of a collection is
    /// asked: the common containers are told by their class pointer, without a
    /// virtual call.
    static func isRescannedWhenOld(_ p: UnsafeMutableRawPointer) -> Bool {
        let c = p.load(as: UnsafeRawPointer.self)
        if c == ClassPointers.list || c == ClassPointers.instance || c == ClassPointers.str || c == ClassPointers.map {
            return false
        }
        return Unmanaged<Obj>.fromOpaque(p)._withUnsafeGuaranteedRef { $0.rescannedWhenOld }
    }
}
