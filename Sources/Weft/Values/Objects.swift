// Heap objects. Every heap value derives from `Obj`, which carries the one-byte
// lock that makes single operations on shared mutable objects atomic (see
// Runtime/SpinLock.swift). Immutable objects (strings, ranges, functions) never
// take it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CWeftSupport

class Obj {
    /// First, so it sits right after the object header (offset 16, which
    /// Scripts/check_release_fence.sh looks for).
    let lockWord = SpinWord()
    /// The collector's mark (Heap/Marker.swift); only the collector touches it. It
    /// follows the one-byte lock, where the collector reads and writes it by address
    /// (`Heap.markOffset`) without forming a class reference (which the optimizer
    /// would retain and release per object).
    @exclusivity(unchecked) final var gcMark: UInt8 = 0
    /// Set while the object is in a thread's remembered list (Heap/Generations.swift),
    /// at `Heap.rememberedOffset`, right after the mark.
    @exclusivity(unchecked) final var gcRemembered: UInt8 = 0

    /// Every heap object is registered with the collector, which owns it from now on.
    /// With `handingOff`, the heap takes no reference of its own: the creator must
    /// give it its reference at once with `Word.handedOff` (docs/vm.md §3).
    init(handingOff: Bool = false) { Heap.register(self, retaining: !handingOff) }

    /// Reports the values and objects this object refers to (the collector's mark
    /// phase). Every subclass that stores a value or a heap object overrides it.
    func trace(_ m: inout Marker) {}

    /// Frees what a dead object owns outside its own memory and returns true when
    /// that was everything its deinit would do (no stored property holds a Swift
    /// reference that needs releasing): the sweep then frees the object's memory
    /// directly instead of through Swift's release (Heap.sweep). Returns false,
    /// having freed nothing, for the deinit to run. Called once, by the sweep, on an
    /// object no thread can reach.
    func releaseOwnedStorage() -> Bool { false }

    /// Whether an old object of this class must be traced by every minor collection
    /// because what it refers to can change without the write barrier
    /// (Heap/Generations.swift). Classes that call `Heap.noteStore` on every store,
    /// and those whose references never change after their initializer, say no.
    var rescannedWhenOld: Bool { true }

    /// The name `type(x)` prints for this object.
    var typeName: String { "object" }
    var isTruthy: Bool { true }

    /// A native method of this object (runtime objects override this).
    func method(_ sym: Int32) -> NativeFn? { nil }

    /// The names of this object's native methods and readable attributes, for REPL
    /// completion (`q.` lists a queue's methods). Runtime objects override this.
    func methodNames() -> [String] { [] }

    /// A readable attribute other than a method (`t.name`, `b.parties`), or nil.
    func attribute(_ sym: Int32, vm: VM) throws -> Word? { nil }

    /// Sets an attribute; false when the object has no such settable attribute.
    func setAttribute(_ sym: Int32, _ value: Word, vm: VM) throws -> Bool { false }

    /// An iterator over this object for `for x in obj`, or nil when not iterable.
    func makeIterator(_ vm: VM) throws -> IteratorObj? { nil }

    /// Runs `body` holding this object's lock while several threads exist.
    /// The body must not run script code or block (ObjectLockCheck asserts it).
    @inline(__always) final func locked<R>(_ body: () throws -> R) rethrows -> R {
        ObjectLockCheck.entering(); defer { ObjectLockCheck.leaving() }
        if Runtime.isMultithreaded {
            lockWord.lock(); defer { lockWord.unlock() }
            return try body()
        }
        return try body()
    }
}

// MARK: - Bytes

final class BytesObj: Obj {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        super.init()
        if bytes.count > 64 { Heap.account(bytes.count) }
    }
    override func trace(_ m: inout Marker) { m.countBytes(bytes.count) }
    override var typeName: String { "bytes" }
    override var rescannedWhenOld: Bool { false }
    override var isTruthy: Bool { !bytes.isEmpty }
}

// MARK: - Lists

// ListObj: Values/ListObj.swift

// MARK: - Ranges

/// `a..<b`, `a...b`, `range(a, b, step)`: lazy, immutable, indexable.
final class RangeObj: Obj {
    let start: Int, end: Int, step: Int     // end is exclusive
    let inclusive: Bool                     // only for printing `a...b`

    init(start: Int, end: Int, step: Int, inclusive: Bool = false) {
        self.start = start; self.end = end; self.step = step; self.inclusive = inclusive
    }

    override var typeName: String { "range" }
    override var rescannedWhenOld: Bool { false }
    override var isTruthy: Bool { count > 0 }

    /// The element count, in unsigned arithmetic so no bounds overflow it; ranges
    /// are only created when it fits an Int (`Conversions.makeRange`).
    static func count(start: Int, end: Int, step: Int) -> UInt {
        let dist: UInt
        if step > 0 {
            guard start < end else { return 0 }
            dist = UInt(bitPattern: end &- start)
        } else {
            guard start > end else { return 0 }
            dist = UInt(bitPattern: start &- end)
        }
        return (dist - 1) / step.magnitude + 1
    }

    var count: Int { Int(truncatingIfNeeded: RangeObj.count(start: start, end: end, step: step)) }

    /// Element `i` (0 <= i < count): in range, so the wrapping arithmetic is exact.
    func element(_ i: Int) -> Int { start &+ i &* step }

    func contains(_ n: Int) -> Bool {
        let dist: UInt
        if step > 0 {
            guard n >= start && n < end else { return false }
            dist = UInt(bitPattern: n &- start)
        } else {
            guard n <= start && n > end else { return false }
            dist = UInt(bitPattern: start &- n)
        }
        return dist % step.magnitude == 0
    }
}

// MARK: - Variables shared by closures

/// A captured variable: closures capture by reference, so a variable that an inner
/// function captures and that is assigned after its declaration lives in a Cell.
final class Cell: Obj {
    @exclusivity(unchecked) private var stored: Word
    init(_ v: Word) { stored = v }

    override var typeName: String { "cell" }
    override func trace(_ m: inout Marker) { m.mark(stored) }
    override var rescannedWhenOld: Bool { false }

    @inline(__always) var value: Word {
        get { locked { stored } }
        set {
            locked { stored = newValue }
            Heap.noteStore(into: self, newValue)
        }
    }
}

// MARK: - Functions

typealias NativeBody = (_ vm: VM, _ receiver: Word, _ args: Args) throws -> Word

/// A named native function of a builtin table. A struct rather than a
/// `(String, NativeBody)` tuple: an array keeps a tuple's closure at the generic
/// element's most abstract calling convention, so every call of a function taken out
/// of it went through reabstraction thunks and retained and released a thunk
/// context (6-8% of k_nucleotide); a struct field keeps the closure as it is.
struct NativeEntry {
    let name: String
    let body: NativeBody
    init(_ name: String, _ body: @escaping NativeBody) { self.name = name; self.body = body }
}

/// A function implemented in Swift: builtins, methods of builtin types, host functions.
final class NativeFn: Obj {
    let name: String
    let body: NativeBody

    /// Native functions are created once per table or module and never freed.
    init(_ name: String, _ body: @escaping NativeBody) {
        self.name = name; self.body = body
        super.init()
        Heap.pin(self)
    }

    override var typeName: String { "fn" }
}

/// `obj.method` read as a value: the receiver plus a Closure or NativeFn.
final class BoundMethod: Obj {
    @exclusivity(unchecked) private(set) var receiver: Word    // var: released by deinit
    @exclusivity(unchecked) private(set) var method: Word
    init(receiver: Word, method: Word) { self.receiver = receiver; self.method = method }
    override func trace(_ m: inout Marker) { m.mark(receiver); m.mark(method) }
    override var rescannedWhenOld: Bool { false }   // both are set once

    override var typeName: String { "fn" }
}

// MARK: - Classes and instances

/// A class: user-defined, an error kind, or a builtin type object (`int`, `str`...).
final class ClassObj: Obj {
    let name: String
    unowned(unsafe) let superclass: ClassObj?
    /// `superclass`'s address, or nil: what `isSubclass` walks (reading the
    /// `unowned(unsafe)` optional made a strong reference, retained per step).
    private let superclassAddress: UnsafeRawPointer?
    /// Methods by symbol, inherited ones copied in at creation; fixed afterwards.
    let methods: [Int32: Word]
    /// Class attributes (`let`/`var` in the class body), readable through instances.
    @exclusivity(unchecked) var attrs: [Int32: Word]
    let isBuiltin: Bool
    /// For builtin type objects: what calling the type does (`int("3")`).
    var constructor: NativeFn?
    /// Builtin classes scripts may extend (Error's kinds always; Thread).
    var isSubclassable = false
    /// Creates the native state of a builtin base class for a new instance (Thread).
    var makeNative: ((Instance, VM) -> Obj)?
    /// The slot of each field name its instances use (Values/Instance.swift).
    let layout = FieldLayout()
    /// Set (before the slot is published) once an instance of this class gets a
    /// field named like one of its methods: until then a method call need not look
    /// for a field shadowing the method, which is a scan of every slot.
    private let fieldNamedLikeMethod = Atomic<Bool>(false)
    @inline(__always) var mayHaveFieldNamedLikeMethod: Bool { fieldNamedLikeMethod.load(ordering: .acquiring) }

    /// The slot of field `sym`, adding one if needed (Instance.setFieldUnlocked).
    @inline(__always) func fieldSlotAdding(_ sym: Int32, hint: UnsafeMutablePointer<UInt8>?) -> Int {
        let existing = hint.map { layout.slot(of: sym, hint: $0) } ?? layout.slot(of: sym)
        if let s = existing { return s }
        // A new slot (unless another thread adds it first): note a method it shadows.
        if findMethodSlot(sym) != nil { fieldNamedLikeMethod.store(true, ordering: .releasing) }
        return layout.slotAdding(sym)
    }

    init(name: String, superclass: ClassObj?, methods: [Int32: Word],
         attrs: [Int32: Word] = [:], isBuiltin: Bool = false) {
        self.name = name; self.superclass = superclass
        superclassAddress = superclass.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) }
        var all = superclass?.methods ?? [:]
        for (k, v) in methods { all[k] = v }
        self.methods = all
        self.attrs = attrs
        self.isBuiltin = isBuiltin
        var size = 4
        while size < all.count * 2 { size <<= 1 }
        var keys = [Int32](repeating: -1, count: size), values = [Word](repeating: .nil, count: size)
        for (k, v) in all {
            var i = Int(k) & (size - 1)
            while keys[i] >= 0 { i = (i + 1) & (size - 1) }
            keys[i] = k; values[i] = v
        }
        methodKeys = .allocate(capacity: size)
        methodKeys.initialize(from: keys, count: size)
        methodValues = .allocate(capacity: size)
        methodValues.initialize(from: values, count: size)
        methodMask = size - 1
        super.init()
        if isBuiltin { Heap.pin(self) }
    }

    // An open-addressed copy of `methods` for the VM's method calls, in raw
    // buffers so a lookup neither bounds-checks nor retains.
    private let methodKeys: UnsafeMutablePointer<Int32>
    private let methodValues: UnsafeMutablePointer<Word>
    private let methodMask: Int

    deinit {
        layout.free()
        methodValues.deinitialize(count: methodMask + 1)
        methodValues.deallocate()
        methodKeys.deallocate()
    }

    /// Where method `sym` (own or inherited) is stored, or nil.
    @inline(__always) func findMethodSlot(_ sym: Int32) -> UnsafeMutablePointer<Word>? {
        var i = Int(sym) & methodMask
        while true {
            let k = methodKeys[i]
            if k == sym { return methodValues + i }
            if k < 0 { return nil }
            i = (i + 1) & methodMask
        }
    }

    /// The method `sym` (own or inherited), or nil.
    @inline(__always) func findMethod(_ sym: Int32) -> Word? {
        findMethodSlot(sym)?.pointee
    }

    override var typeName: String { "class" }
    override func trace(_ m: inout Marker) {
        m.mark(superclass)
        m.mark(all: methods.values)
        m.mark(all: attrs.values)
        m.mark(constructor)
    }

    /// Walks the superclass chain by address (no reference counting: `instantiate`
    /// asks this for every new instance).
    func isSubclass(of other: ClassObj) -> Bool {
        let target = UnsafeRawPointer(Unmanaged.passUnretained(other).toOpaque())
        var c: UnsafeRawPointer? = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        while let k = c {
            if k == target { return true }
            c = Unmanaged<ClassObj>.fromOpaque(k)._withUnsafeGuaranteedRef { $0.superclassAddress }
        }
        return false
    }

    /// A class attribute, searched up the inheritance chain.
    func attr(_ sym: Int32) -> Word? {
        var c: ClassObj? = self
        while let k = c {
            if let v = k.locked({ k.attrs[sym] }) { return v }
            c = k.superclass
        }
        return nil
    }
}

// Instance: Values/Instance.swift

// MARK: - Modules

/// A module: an imported script's globals, or a builtin module (math, json...).
final class ModuleObj: Obj {
    let name: String
    let globals: GlobalTable
    init(name: String, globals: GlobalTable) { self.name = name; self.globals = globals }
    override var typeName: String { "module" }
    override func trace(_ m: inout Marker) { m.mark(globals) }
}

/// A module's global variables, resolved to indices at compile time.
/// Unset globals hold `Word.missing` and raise NameError when read. The values are
/// a list's block (Values/ListObj.swift), so the VM reads a global without a lock.
final class GlobalTable: Obj {
    /// The values by slot; written under this table's lock.
    let slots = ListObj()
    @exclusivity(unchecked) var names: [String] = []
    @exclusivity(unchecked) var constant: [Bool] = []
    @exclusivity(unchecked) var index: [String: Int] = [:]
    /// Slots by attribute symbol, filled as `module.name` is read (slots never move).
    /// Global slots by attribute symbol, filled as `module.name` is first read: a
    /// block indexed by symbol (symbols are small dense ints) holding slot + 1 (0 or a
    /// nil word: not looked up yet), replaced when it grows, so reads take no lock.
    private let slotsBySymbol = Atomic<Int>(WordBlock.empty.address)

    deinit { WordBlock(address: slotsBySymbol.load(ordering: .relaxed)).free() }

    override func trace(_ m: inout Marker) { m.mark(slots) }

    /// The values, for listing (REPL completion, pinning builtin tables).
    var values: [Word] { slots.copyItems }

    /// `module.name`: found by symbol, without hashing the name's string after the
    /// first time.
    @inline(__always) func lookup(symbol sym: Int32) -> Word? {
        let b = WordBlock(address: slotsBySymbol.load(ordering: .acquiring))
        let s = Int(sym)
        if s >= 0 && s < b.capacity {
            let entry = b.load(s).bits
            if entry > 0 && entry <= UInt64(Int32.max) {
                let v = get(Int(entry) - 1)
                return v.isMissing ? nil : v
            }
        }
        return lookupFirst(symbol: sym)
    }

    /// The first lookup of `sym`: by name, then remembered in `slotsBySymbol`.
    private func lookupFirst(symbol sym: Int32) -> Word? {
        guard sym >= 0 else { return nil }
        let slot: Int? = locked {
            guard let i = index[Symbols.name(sym)] else { return nil }
            var b = WordBlock(address: slotsBySymbol.load(ordering: .acquiring))
            if Int(sym) >= b.capacity {
                let bigger = b.grown(to: max(64, Int(sym) * 2), keeping: b.capacity)
                slotsBySymbol.store(bigger.address, ordering: .releasing)
                Heap.retire(b)
                b = bigger
            }
            b.store(Int(sym), Word(bits: UInt64(i + 1)))
            return i
        }
        guard let i = slot else { return nil }
        let v = get(i)
        return v.isMissing ? nil : v
    }

    /// The slot of `name`, created (unset) if new.
    func slot(for name: String) -> Int {
        locked {
            if let i = index[name] { return i }
            let i = slots.count
            slots.appendUnlocked(.missing); names.append(name); constant.append(false)
            index[name] = i
            return i
        }
    }

    func lookup(_ name: String) -> Word? {
        locked {
            guard let i = index[name] else { return nil }
            let v = get(i)
            return v.isMissing ? nil : v
        }
    }

    func set(_ name: String, _ v: Word) {
        let i = slot(for: name)
        put(i, v)
    }

    /// Global `i` (no lock: a list read, rule C4).
    @inline(__always) func get(_ i: Int) -> Word {
        Ref(slots).with { $0.get(i) } ?? .missing
    }
    @inline(__always) func put(_ i: Int, _ v: Word) { locked { slots.setUnlocked(i, v) } }
}

// MARK: - Symbols

/// Interned attribute, method and parameter names. Names are interned when code is
/// compiled and when native method tables are built, so the VM compares Int32s.
enum Symbols {
    private static let lock = PosixLock()
    nonisolated(unsafe) private static var ids: [String: Int32] = [:]
    nonisolated(unsafe) private static var names: [String] = []

    static func intern(_ s: String) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        if let id = ids[s] { return id }
        let id = Int32(names.count)
        names.append(s); ids[s] = id
        return id
    }

    static func name(_ id: Int32) -> String {
        lock.lock(); defer { lock.unlock() }
        return names[Int(id)]
    }

    static let initSym = intern("init")
    static let toStr = intern("to_str")
    static let eq = intern("eq")
    static let hash = intern("hash")
    static let enter = intern("enter")
    static let exit = intern("exit")
    static let message = intern("message")
    static let trace = intern("trace")
    static let name = intern("name")
    static let run = intern("run")
}
