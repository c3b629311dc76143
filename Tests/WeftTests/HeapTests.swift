// The collector (Sources/Weft/Heap, docs/vm.md §3): what it frees, what it keeps, and
// the Swift-held roots. Weak references observe whether an object was freed.
import XCTest
@testable import Weft
import CWeftSupport

final class HeapTests: XCTestCase {
    private func collect(_ interp: Interpreter) throws {
        _ = try interp.eval("import gc\ngc.collect()")
    }

    /// An object Swift code holds strongly is a root, and so is everything it refers
    /// to by value words only.
    func testSwiftHeldObjectsAreRoots() throws {
        let interp = Interpreter()
        let list = ListObj()
        weak var item: StrObj?
        do {
            let s = StrObj(String(repeating: "kept ", count: 20))
            item = s
            list.appendUnlocked(.str(s))
        }
        try collect(interp)
        try collect(interp)
        XCTAssertNotNil(item, "a string referenced only from a Swift-held list was freed")
        XCTAssertEqual(list.get(0)?.asStr?.value.count, 100)
        withExtendedLifetime(list) {}
    }

    /// On a heap of more than `Heap.parallelScanMinimum` objects the scan for
    /// Swift-held objects is split between two threads: objects held in either half,
    /// and what they refer to, survive; the garbage around them does not.
    func testSwiftHeldObjectsAreFoundInBothHalvesOfALargeScan() throws {
        let interp = Interpreter()
        let n = Heap.parallelScanMinimum
        weak var garbage: ListObj?
        func makeGarbage() { for _ in 0..<n { garbage = ListObj([.int(1)]) } }
        func held(_ text: String) -> (ListObj, () -> StrObj?) {
            let list = ListObj()
            weak var item: StrObj?
            do {
                let s = StrObj(String(repeating: text, count: 20))
                item = s
                list.appendUnlocked(.str(s))
            }
            return (list, { item })
        }
        makeGarbage()
        let (first, firstItem) = held("first ")
        makeGarbage()
        let (second, secondItem) = held("second ")
        try collect(interp)
        try collect(interp)
        XCTAssertNil(garbage, "garbage survived the scan")
        XCTAssertNotNil(firstItem(), "a string held through the first half's list was freed")
        XCTAssertNotNil(secondItem(), "a string held through the second half's list was freed")
        XCTAssertEqual(first.get(0)?.asStr?.value.count, 120)
        XCTAssertEqual(second.get(0)?.asStr?.value.count, 140)
        withExtendedLifetime([first, second]) {}
    }

    /// The sweep frees a dead object's memory directly only while its counts show the
    /// collector's reference alone; any other reference (a Swift strong, unowned or
    /// weak one) sends it through Swift's release. An instance whose `native` is set
    /// still needs its deinit.
    func testDeadObjectsAreFreedDirectly() throws {
        let interp = Interpreter()
        // The temporary's reference ends with the statement: the heap's is left.
        let p = Unmanaged.passUnretained(ListObj([.int(1)])).toOpaque()
        XCTAssertEqual(weft_held_only_by_collector(p), 1)
        let strong = Unmanaged<ListObj>.fromOpaque(p).retain()
        XCTAssertEqual(weft_held_only_by_collector(p), 0, "a strong reference from Swift")
        strong.release()
        XCTAssertEqual(weft_held_only_by_collector(p), 1)
        do {
            unowned let u = Unmanaged<ListObj>.fromOpaque(p).takeUnretainedValue()
            XCTAssertEqual(weft_held_only_by_collector(p), 0, "an unowned reference")
            XCTAssertEqual(u.count, 1)
        }
        XCTAssertEqual(weft_held_only_by_collector(p), 1)
        weak var w = Unmanaged<ListObj>.fromOpaque(p).takeUnretainedValue()
        XCTAssertEqual(weft_held_only_by_collector(p), 0, "a weak reference (a side table)")
        XCTAssertEqual(w?.count, 1)

        let cls = ClassObj(name: "C", superclass: nil, methods: [:])
        let withNative = Instance(cls: cls)
        withNative.native = ListObj()
        XCTAssertFalse(withNative.releaseOwnedStorage(), "an instance with native state needs its deinit")
        try collect(interp)
        XCTAssertNil(w, "the weakly referenced list was not freed")
    }

    /// One-character ASCII strings are shared, so indexing, one-character slices,
    /// iteration and `chr` of ASCII text allocate nothing; other characters still
    /// get strings of their own.
    func testRescanFastPathAgreesWithTheClasses() {
        let cls = ClassObj(name: "C", superclass: nil, methods: [:])
        let objects: [Obj] = [ListObj([.int(1)]), MapObj(), StrObj("s"), Instance(cls: cls), cls, RangeObj(start: 0, end: 2, step: 1)]
        for o in objects {
            let p = Unmanaged.passUnretained(o).toOpaque()
            XCTAssertEqual(Obj.isRescannedWhenOld(p), o.rescannedWhenOld, o.typeName)
        }
        XCTAssertTrue(Obj.isRescannedWhenOld(Unmanaged.passUnretained(cls).toOpaque()), "a class is rescanned")
    }

    func testOneCharacterASCIIStringsAreShared() throws {
        let interp = Interpreter()
        let words = try ["\"abc\"[0]", "\"xa\"[1]", "\"za\"[1:2]", "[c for c in \"aa\"][1]", "chr(97)", "\"ba\".chars()[1]"]
            .map { try interp.eval($0).word.bits }
        XCTAssertEqual(Set(words).count, 1, "every way of making \"a\" gives the shared string")
        XCTAssertEqual(try interp.eval("\"abc\"[0] is \"xa\"[1]"), .bool(true))
        XCTAssertNotEqual(try interp.eval("\"é\"[0]").word.bits, try interp.eval("\"é\"[0]").word.bits)
        XCTAssertEqual(try interp.eval("\"é\"[0] == \"é\"[0]"), .bool(true))
    }

    /// A string of up to 24 bytes lends its bytes from inside its own object (for up
    /// to 15, where Swift keeps a small string's bytes), and they are the right
    /// bytes; longer ones lend their storage's (StringFormsTests has the rest).
    func testShortStringsLendTheirBytesInPlace() {
        for text in ["", "a", "héllo", "fifteen bytes!!", "sixteen bytes!!!", "ünïcödé ✓ text that is long"] {
            let s = StrObj(text)
            let object = UInt(bitPattern: Unmanaged.passUnretained(s).toOpaque())
            let (address, bytes) = s.withUTF8Bytes { (UInt(bitPattern: $0.baseAddress), Array($0)) }
            XCTAssertEqual(bytes, Array(text.utf8), text)
            if text.utf8.count <= StrObj.inlineCapacity {
                XCTAssertTrue(address >= object && address < object + 64, "\(text): bytes lent from a copy")
            }
            XCTAssertEqual(s.hashValue32, StrObj(text + "").hashValue32)
        }
    }

    /// `StrObj(smallASCII:)` builds Swift's small-string bits itself: they must be
    /// the bits `String(decoding:)` makes, for every length, and the object must
    /// lend its bytes in place like any short string.
    func testSmallASCIIStringsAreSwiftsOwn() {
        var rng = SystemRandomNumberGenerator()
        for n in 0...15 {
            for _ in 0..<50 {
                let bytes = (0..<n).map { _ in UInt8.random(in: 0...127, using: &rng) }
                bytes.withUnsafeBufferPointer { b in
                    let made = StrObj.smallASCIIString(b)
                    let decoded = String(decoding: b, as: UTF8.self)
                    XCTAssertEqual(unsafeBitCast(made, to: (UInt64, UInt64).self).0,
                                   unsafeBitCast(decoded, to: (UInt64, UInt64).self).0)
                    XCTAssertEqual(unsafeBitCast(made, to: (UInt64, UInt64).self).1,
                                   unsafeBitCast(decoded, to: (UInt64, UInt64).self).1)
                    XCTAssertEqual(made, decoded)
                    XCTAssertEqual(made.hashValue, decoded.hashValue)
                    let s = StrObj(smallASCII: b)
                    XCTAssertEqual(s.value, decoded)
                    XCTAssertEqual(s.count, n)
                    let object = UInt(bitPattern: Unmanaged.passUnretained(s).toOpaque())
                    let (address, lent) = s.withUTF8Bytes { (UInt(bitPattern: $0.baseAddress), Array($0)) }
                    XCTAssertEqual(lent, bytes)
                    XCTAssertTrue(address >= object && address < object + 64)
                    XCTAssertEqual(s.hashValue32, StrObj(decoded).hashValue32)
                }
            }
        }
    }

    /// What nothing reaches is freed by the next collection.
    func testUnreachableObjectsAreFreed() throws {
        let interp = Interpreter()
        weak var dropped: ListObj?
        do {
            let l = ListObj([.int(1), .int(2)])
            dropped = l
            // A value word alone is not a root: store it where no root sees it.
            _ = Word.list(l)
        }
        try collect(interp)
        XCTAssertNil(dropped, "an unreachable list survived a collection")
    }

    /// Objects reachable from a script's globals survive; ones it dropped do not.
    func testScriptGlobalsAreRoots() throws {
        let interp = Interpreter()
        _ = try interp.eval("var keep = [\"a\" * 3, [1, [2, [3]]]]\nvar drop = [\"b\" * 3]")
        weak var dropped: Obj?
        weak var kept: Obj?
        dropped = try interp.eval("drop").object
        kept = try interp.eval("keep").object
        _ = try interp.eval("drop = nil")
        try collect(interp)
        XCTAssertNil(dropped)
        XCTAssertNotNil(kept)
        XCTAssertEqual(try interp.eval("keep").description, "[\"aaa\", [1, [2, [3]]]]")
    }

    /// Values are words: every kind survives a collection unchanged, including ints
    /// boxed outside the inline range.
    func testValuesSurviveCollections() throws {
        let interp = Interpreter()
        _ = try interp.eval("""
            var big = [9223372036854775807, -9223372036854775808, 140737488355328, 1.5, nil, true]
            var m = {"k": big, 3: "three"}
            """)
        try collect(interp)
        XCTAssertEqual(try interp.eval("str(big) + str(m[3]) + str(len(m))").description,
                       "[9223372036854775807, -9223372036854775808, 140737488355328, 1.5, nil, true]three2")
    }

    /// Large arrays are marked a chunk at a time (`Marker.chunk`), the rest kept
    /// aside until the objects of the chunk are traced: every element of long lists,
    /// nested in each other and in a long VM stack, must still be reached, and
    /// whatever those elements refer to.
    func testLongListsAreMarkedChunkByChunk() throws {
        let n = Marker.chunk * 5 + 3
        let interp = Interpreter()
        _ = try interp.eval("""
            var outer = [[[str(i) * 2, [i]] for i in 0..<\(n)] for j in 0..<3]
            """)
        weak var last: Obj?
        last = try interp.eval("outer[2][\(n - 1)][0]").object
        try collect(interp)
        try collect(interp)
        XCTAssertNotNil(last, "the last element of a long list was freed")
        let check = "sum([int(x[0][0:len(x[0]) // 2]) + x[1][0] for x in outer[2]])"
        XCTAssertEqual(try interp.eval(check).description, String(n * (n - 1)))
        XCTAssertEqual(try interp.eval("outer[0][\(n - 1)][0]").description, String(repeating: String(n - 1), count: 2))
    }

    /// The collector reads marks by address (`Heap.markOffset`).
    func testMarkByteIsWhereTheCollectorLooks() {
        for o in [ListObj(), StrObj("x"), MapObj(), Instance(cls: ErrorKinds.base)] as [Obj] {
            o.gcMark = 0xA5
            let p = UnsafeRawPointer(Unmanaged.passUnretained(o).toOpaque())
            XCTAssertEqual(p.load(fromByteOffset: Heap.markOffset, as: UInt8.self), 0xA5)
            o.gcMark = 0
        }
    }

    /// The write barrier sets the remembered flag by address (`Heap.rememberedOffset`).
    func testRememberedByteIsWhereTheBarrierLooks() {
        for o in [ListObj(), MapObj(), Instance(cls: ErrorKinds.base), Cell(.nil)] as [Obj] {
            o.gcRemembered = 0x5A
            let p = UnsafeRawPointer(Unmanaged.passUnretained(o).toOpaque())
            XCTAssertEqual(p.load(fromByteOffset: Heap.rememberedOffset, as: UInt8.self), 0x5A)
            XCTAssertEqual(p.load(fromByteOffset: Heap.markOffset, as: UInt8.self), 0)
            o.gcRemembered = 0
        }
    }

    /// A minor collection frees young garbage and keeps a young object stored into
    /// an old list; old garbage waits for the next major collection.
    func testMinorCollectionsFreeOnlyYoungGarbage() throws {
        let interp = Interpreter()
        _ = try interp.eval("import gc\nvar keep = [[0]]\nvar oldDrop = [\"old\" * 2]\ngc.collect()")
        weak var oldDropped: Obj?
        weak var youngDropped: Obj?
        weak var youngKept: Obj?
        oldDropped = try interp.eval("oldDrop").object
        _ = try interp.eval("var youngDrop = [\"young\" * 2]\nkeep.append([\"kept\" * 2])")
        youngDropped = try interp.eval("youngDrop").object
        youngKept = try interp.eval("keep[1]").object
        _ = try interp.eval("oldDrop = nil\nyoungDrop = nil\ngc.collect(0)")
        XCTAssertNil(youngDropped, "a minor collection kept young garbage")
        XCTAssertNotNil(youngKept, "a young list stored into an old one was freed")
        XCTAssertNotNil(oldDropped, "a minor collection freed an old object")
        _ = try interp.eval("gc.collect()")
        XCTAssertNil(oldDropped, "a major collection kept old garbage")
        XCTAssertEqual(try interp.eval("keep[1][0]").description, "keptkept")
    }

    /// What a minor collection counts toward the next major one: the objects it
    /// promoted and the new blocks old containers took (`Heap.noteGrowth`), not the
    /// storage of the old containers it had to trace again (which made every minor
    /// collection that traced a big old map count the map's whole block).
    func testMinorCollectionsCountPromotionAndGrowthOnly() throws {
        let interp = Interpreter()
        _ = try interp.eval("import gc\nvar big = {}\nfor i in 0..<100000 { big[i] = i }\nvar grow = [0]\ngc.collect()")
        _ = try interp.eval("big[0] = [1]\ngc.collect(0)")   // a young list in the old map: traced again
        XCTAssertLessThan(Heap.promotedSinceMajor, 1 << 20, "the old map's block counted as promoted")
        _ = try interp.eval("for i in 0..<100000 { grow.append(i) }\ngc.collect(0)")
        XCTAssertGreaterThanOrEqual(Heap.promotedSinceMajor, 100000 * 8, "an old list's new blocks were not counted")
    }

    /// A small list's block is inside the object, where ListObj finds it by offset;
    /// it outgrows it into a block of its own and stays correct.
    func testInlineBlockIsWhereListsLook() {
        let l = ListObj([.int(1), .int(2)])
        let object = Int(bitPattern: Unmanaged.passUnretained(l).toOpaque())
        let field = withUnsafeMutablePointer(to: &l.inlineBlock) { Int(bitPattern: $0) }
        XCTAssertEqual(field - object, ListObj.inlineOffset)
        // `frozen` sits in the padding after the lock and mark bytes, so a list
        // object (ending with its inline block) is one 64-byte cache line.
        let frozen = withUnsafeMutablePointer(to: &l.frozen) { Int(bitPattern: $0) }
        XCTAssertLessThan(frozen - object, ListObj.blockOffset)
        XCTAssertEqual(ListObj.inlineOffset + 8 * (1 + ListObj.Inline.capacity), 64)
        XCTAssertEqual(l.get(1)?.bits, Word.int(2).bits)
        for i in 3...40 { l.appendUnlocked(.int(i)) }
        XCTAssertEqual(l.count, 40)
        XCTAssertEqual(l.get(39)?.bits, Word.int(40).bits)
        XCTAssertEqual(l.get(0)?.bits, Word.int(1).bits)
        // The dispatch loop reads elements through the list's address.
        let p = UnsafeRawPointer(Unmanaged.passUnretained(l).toOpaque())
        for i in [0, 5, 39, -1, -40] {
            XCTAssertEqual(ListObj.element(ofListAt: p, i)?.bits, l.get(normalizing: i)?.bits, "index \(i)")
        }
        XCTAssertNil(ListObj.element(ofListAt: p, 40))
        XCTAssertNil(ListObj.element(ofListAt: p, -41))
    }

    /// An instance keeps its first fields inside the object the same way.
    func testInlineBlockIsWhereInstancesLook() {
        let inst = Instance(cls: ErrorKinds.base)
        let object = Int(bitPattern: Unmanaged.passUnretained(inst).toOpaque())
        let field = withUnsafeMutablePointer(to: &inst.inlineBlock) { Int(bitPattern: $0) }
        XCTAssertEqual(field - object, Instance.inlineOffset)
        let frozen = withUnsafeMutablePointer(to: &inst.frozen) { Int(bitPattern: $0) }
        XCTAssertLessThan(frozen - object, 24)
        XCTAssertEqual(Instance.inlineOffset + 8 * (1 + Instance.Inline.capacity), 80)
        inst.setFieldUnlocked(Symbols.intern("a"), .int(7))
        XCTAssertEqual(inst.field(Symbols.intern("a"))?.bits, Word.int(7).bits)
    }

    /// Object sizes as the Swift runtime allocates them: the instance size in each
    /// class's metadata (a 32-bit field 24 bytes in, on platforms without
    /// Objective-C). The flags in the header's padding keep a list at one cache
    /// line and an instance and a string at 80 bytes.
    func testObjectSizes() {
        func size(_ type: AnyClass) -> UInt32 {
            unsafeBitCast(type, to: UnsafeRawPointer.self).load(fromByteOffset: 24, as: UInt32.self)
        }
        XCTAssertEqual(size(ListObj.self), 64)
        XCTAssertEqual(size(Instance.self), 80)
        XCTAssertEqual(size(StrObj.self), 80)
    }

    /// A string's flat flag is read by address (`StrObj.isFlatOffset`), in the
    /// padding after the lock, mark and remembered bytes; a rope reads 0 there until
    /// something flattens it.
    func testStringFlatFlagIsWhereStringsLook() {
        let s = StrObj("flat")
        let object = Int(bitPattern: Unmanaged.passUnretained(s).toOpaque())
        let field = withUnsafeMutablePointer(to: &s.isFlatByte) { Int(bitPattern: $0) }
        XCTAssertEqual(field - object, StrObj.isFlatOffset)
        XCTAssertGreaterThan(StrObj.isFlatOffset, Heap.rememberedOffset)
        let long = StrObj(String(repeating: "x", count: StrObj.ropeThreshold))
        let rope = StrObj.concat(long, s)
        let p = UnsafeRawPointer(Unmanaged.passUnretained(rope).toOpaque())
        XCTAssertEqual(p.load(fromByteOffset: StrObj.isFlatOffset, as: UInt8.self), 0)
        XCTAssertEqual(rope.value, String(repeating: "x", count: StrObj.ropeThreshold) + "flat")
        XCTAssertEqual(p.load(fromByteOffset: StrObj.isFlatOffset, as: UInt8.self), 1)
    }

    /// The stats a collection reports.
    func testStatsCountCollections() throws {
        let interp = Interpreter()
        let before = Heap.stats().count
        try collect(interp)
        let after = Heap.stats()
        XCTAssertGreaterThan(after.count, before)
        XCTAssertGreaterThan(after.live, 0)
        XCTAssertGreaterThanOrEqual(after.max, after.p50)
    }
}
