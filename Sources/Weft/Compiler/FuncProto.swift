// Compiled functions. A FuncProto is immutable once compiled and shared by every
// closure and thread that runs it; its code and constants live in manually
// allocated buffers so the VM reads them through raw pointers (no Array bounds
// checks, no copy-on-write, no retain of the buffer per instruction).

/// Where a closure gets each captured variable from when it is created.
struct CaptureSpec {
    var fromParentSlot: Bool   // parent's local slot, else the parent's own capture
    var index: Int
    var isCell: Bool           // captured by reference (a Cell) or by value
}

final class FuncProto {
    let name: String
    let file: String
    /// Parameter names (interned) in order; `self` is not listed.
    let paramIds: [Int32]
    let paramNames: [String]
    /// Which parameters have a default value.
    let hasDefault: [Bool]
    let restIndex: Int?          // index of the `...rest` parameter
    /// Calls with at least this many positional arguments leave only parameters
    /// that have defaults unfilled (the trailing run of `hasDefault`).
    let defaultsFrom: Int
    let isMethod: Bool           // slot 0 is `self`
    let slotCount: Int           // locals including params (and self)
    let maxStack: Int            // operand stack high-water mark
    /// `slotCount + maxStack`: the stack words a call needs above its base.
    let frameWords: Int
    /// The parameter count, or -1 with a rest parameter: the most positional
    /// arguments a call binds without `VM.bindArguments` (one load for the call's
    /// fast path, instead of an array's count and an optional).
    let plainArity: Int
    /// The argument count with which a plain call `f(args)` (for a method:
    /// `obj.m(args)`, the receiver not counted) binds every parameter from its
    /// arguments alone, or -1: the dispatch loop enters such calls inline
    /// (docs/vm.md §7, "Calls").
    let directCallArity: Int
    let directInvokeArity: Int
    let captures: [CaptureSpec]
    let code: UnsafeMutablePointer<UInt32>
    let codeCount: Int
    let constants: UnsafeMutablePointer<Word>
    let constantCount: Int
    private let constantObjects: [Obj]
    let positions: [SourcePos]   // one per code word
    let keywordSets: [KeywordNames]
    /// The same, unretained, for the dispatch loop to borrow (reading the array
    /// retained and released the names around every keyword call).
    let keywordSetRefs: UnsafeMutablePointer<Unmanaged<KeywordNames>>
    let globals: GlobalTable
    /// One byte per code word: for a field read or write, the slot it found last time
    /// (FieldLayout.slot(of:hint:)), tried before scanning the class's slots.
    /// Written racily by any thread, as single bytes; every value is safe, because a
    /// hint is checked against the layout before it is used.
    let fieldHints: UnsafeMutablePointer<UInt8>

    init(name: String, file: String, paramNames: [String], hasDefault: [Bool], restIndex: Int?,
         isMethod: Bool, slotCount: Int, maxStack: Int, captures: [CaptureSpec],
         code: [UInt32], constants: [Word], positions: [SourcePos],
         keywordSets: [KeywordNames], globals: GlobalTable) {
        self.name = name; self.file = file
        self.paramNames = paramNames
        self.paramIds = paramNames.map(Symbols.intern)
        self.hasDefault = hasDefault; self.restIndex = restIndex
        var k = hasDefault.count
        while k > 0 && hasDefault[k - 1] { k -= 1 }
        self.defaultsFrom = k
        self.isMethod = isMethod; self.slotCount = slotCount; self.maxStack = maxStack
        frameWords = slotCount + maxStack
        plainArity = restIndex == nil ? paramNames.count : -1
        directCallArity = isMethod ? -1 : plainArity
        directInvokeArity = isMethod ? plainArity : -1
        self.captures = captures
        self.code = .allocate(capacity: max(code.count, 1))
        self.code.initialize(from: code, count: code.count)
        self.codeCount = code.count
        self.constants = .allocate(capacity: max(constants.count, 1))
        self.constants.initialize(from: constants, count: constants.count)
        self.constantCount = constants.count
        // Strong references: the constants' objects are Swift-held roots for as long
        // as this code exists (docs/vm.md §3).
        self.constantObjects = constants.compactMap(\.heapObject)
        self.positions = positions
        self.keywordSets = keywordSets
        keywordSetRefs = .allocate(capacity: max(keywordSets.count, 1))
        keywordSetRefs.initialize(from: keywordSets.map { Unmanaged.passUnretained($0) }, count: keywordSets.count)
        self.globals = globals
        fieldHints = .allocate(capacity: max(code.count, 1))
        fieldHints.initialize(repeating: 0, count: max(code.count, 1))
    }

    deinit {
        keywordSetRefs.deallocate()
        fieldHints.deallocate()
        code.deallocate()
        constants.deinitialize(count: constantCount)
        constants.deallocate()
    }

    var paramCount: Int { paramNames.count }


    /// Slots in a frame beyond the parameters (and `self`), initialised to nil per call.

    func position(at pc: Int) -> SourcePos {
        pc >= 0 && pc < positions.count ? positions[pc] : SourcePos(line: 0, col: 0)
    }
}

/// A function value: a prototype plus its captured variables.
final class Closure: Obj {
    let proto: FuncProto
    /// The captured values (or cells), fixed at creation, in a block the closure owns
    /// (Heap/WordBlock.swift): no Swift array to allocate, retain or release.
    private let captureBlock: WordBlock
    /// The class a method was defined in (for `super`).
    @exclusivity(unchecked) unowned(unsafe) var homeClass: ClassObj?

    /// A closure capturing nothing.
    init(proto: FuncProto) {
        self.proto = proto
        captureBlock = .empty
    }

    /// A closure whose `count` captures `fill` initializes.
    init(proto: FuncProto, captureCount count: Int, fill: (UnsafeMutablePointer<Word>) -> Void) {
        self.proto = proto
        captureBlock = WordBlock.allocate(capacity: count)
        fill(captureBlock.words)
    }

    /// Runs in the collector's release of a dead closure.
    deinit { captureBlock.free() }

    /// Capture `i` (its value, or its Cell).
    @inline(__always) func capture(_ i: Int) -> Word { captureBlock.words[i] }

    override var typeName: String { "fn" }
    override func trace(_ m: inout Marker) {
        m.mark(captureBlock.words, count: captureBlock.capacity)
        m.mark(homeClass)
    }
}

/// What `makeClass` needs beyond the values on the stack.
final class ClassTemplate: Obj {
    let name: String
    let methodNames: [String]
    let attrNames: [String]
    init(name: String, methodNames: [String], attrNames: [String]) {
        self.name = name; self.methodNames = methodNames; self.attrNames = attrNames
    }
}
