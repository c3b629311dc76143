// The dispatch loop. State of the running frame (pc, slot base, stack top, code,
// constants) lives in locals; it is written back to the Frame only when the frame
// calls out or raises, so the common instructions touch no shared memory.
//
// Stack slots are written with `pointee =` and read with `pointee`, not with
// `initialize(to:)` and `move()`: a word is a trivial value, so both mean the same,
// and in a function this large the optimizer left those two generic calls out of
// line (5.4 million calls in binary_trees).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension VM {
    /// Runs frames until the frame at index `entry` returns (its result is then at
    /// that frame's `ret`). Script errors unwind to handlers inside these frames;
    /// an error with no such handler pops them and propagates to the Swift caller.
    func execute(entry: Int) throws {
        ObjectLockCheck.assertNoneHeld("script code")
        while true {
            do {
                try run(entry: entry)
                return
            } catch let e as ScriptThrow {
                try handle(e, entry: entry)
            }
        }
    }

    /// Records the frames the error leaves and transfers control to the innermost
    /// handler at or above `entry`, or rethrows.
    func handle(_ e: ScriptThrow, entry: Int) throws {
        if let h = handlers.last, h.frameIndex >= entry {
            recordTrace(e.value, through: h.frameIndex)
            handlers.removeLast()
            frameCount = h.frameIndex + 1
            unwindStack(to: frames[h.frameIndex].base + h.depth)
            sp.pointee = e.value
            sp += 1
            frames[h.frameIndex].pc = h.target
            return
        }
        recordTrace(e.value, through: entry)
        while let h = handlers.last, h.frameIndex >= entry { _ = h; handlers.removeLast() }
        frameCount = entry
        throw e
    }

    /// Adds the frames from the running one down to `stop` (the frame that catches
    /// the error, or the last one this loop pops) to the error's trace. Frames it
    /// already passed are not recorded again, so a caught-and-rethrown error keeps
    /// its original trace and an uncaught one ends with every frame, innermost first.
    func recordTrace(_ error: Word, through stop: Int) {
        guard case .instance(let inst) = error.unpacked else { return }
        let state = inst.errorState
        let list = state.record(vm: self, thread: threadName, from: frameCount - 1, through: stop) { i in
            let f = frames[i]
            let proto = f.closure.proto
            let p = proto.position(at: max(f.pc - 1, 0))
            return TraceFrame(function: proto.name, file: proto.file, line: Int(p.line), column: Int(p.col))
        }
        if let l = list { inst.setField(Symbols.trace, .list(l)) }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    func run(entry: Int) throws {
        var frame = frames + (frameCount - 1)
        // The running closure keeps its prototype and module alive, so the loop
        // holds them without reference counting.
        unowned(unsafe) var proto = frame.pointee.closure.proto
        var globals = Ref(proto.globals)
        var code = UnsafePointer(proto.code)
        var consts = UnsafePointer(proto.constants)
        var base = frame.pointee.base
        var pc = frame.pointee.pc
        var sp = self.sp


        do {
            // Entered at start and whenever a call or return changes the running
            // frame: reload the frame's registers, then dispatch.
            enterFrame: while true {
                frame = frames + (frameCount - 1)
                proto = frame.pointee.closure.proto
                globals = Ref(proto.globals)
                code = UnsafePointer(proto.code)
                consts = UnsafePointer(proto.constants)
                base = frame.pointee.base
                pc = frame.pointee.pc
                while true {
                    let word = code[pc]
                    pc &+= 1
                    let a = Int(word >> 8)
                    switch decodeOp(word) {
                    case .nop:
                        break
                    case .constant:
                        sp.pointee = consts[a]; sp += 1
                    case .pushNil:
                        sp.pointee = .nil; sp += 1
                    case .pushTrue:
                        sp.pointee = .bool(true); sp += 1
                    case .pushFalse:
                        sp.pointee = .bool(false); sp += 1
                    case .pushInt:
                        sp.pointee = .int(a - (1 << 23)); sp += 1
                    case .pop:
                        sp -= 1
                        drop(sp)
                    case .dup:
                        sp.pointee = (sp - 1).pointee; sp += 1
                    case .dup2:
                        let x = (sp - 2).pointee, y = (sp - 1).pointee
                        sp.pointee = x; sp += 1; sp.pointee = y; sp += 1

                    case .loadLocal:
                        sp.pointee = base[a]; sp += 1
                    case .loadLocal2:
                        sp.pointee = base[a & 0xFFF]; (sp + 1).pointee = base[a >> 12]; sp += 2
                    case .storeLocal:
                        sp -= 1
                        drop(base + a)
                        (base + a).pointee = sp.pointee
                    case .storeLocal2:
                        base[a & 0xFFF] = (sp - 1).pointee
                        base[a >> 12] = (sp - 2).pointee
                        sp -= 2
                    case .storeLoadLocal:
                        base[a & 0xFFF] = (sp - 1).pointee
                        (sp - 1).pointee = base[a >> 12]
                    case .loadCell:
                        sp.pointee = cellAt(base + a).value; sp += 1
                    case .storeCell:
                        sp -= 1
                        cellAt(base + a).value = sp.pointee
                    case .boxLocal:
                        if base[a].isObjectTag && base[a].objectUnchecked is Cell {} else { base[a] = .object(Cell(base[a])) }
                    case .newCell:
                        base[a] = .object(Cell(.nil))
                    case .loadCapture:
                        sp.pointee = frame.pointee.closure.capture(a); sp += 1
                    case .loadCaptureCell:
                        sp.pointee = frame.pointee.closure.capture(a).withObject(Cell.self) { $0.value }; sp += 1
                    case .storeCaptureCell:
                        sp -= 1
                        let v = sp.pointee
                        frame.pointee.closure.capture(a).withObject(Cell.self) { $0.value = v }
                    case .loadGlobal:
                        let v = globals.with { $0.get(a) }
                        if v.isMissing {
                            frame.pointee.pc = pc; self.sp = sp
                            let g = globals.object
                            throw ScriptThrow(ErrorKinds.nameError, "name '\(g.locked { g.names[a] })' is not defined")
                        }
                        sp.pointee = v; sp += 1
                    case .storeGlobal:
                        sp -= 1
                        let v = sp.pointee
                        globals.with { $0.put(a, v) }
                    case .addLocal, .subLocal:
                        let isAdd = word & 0xFF == UInt32(Op.addLocal.rawValue)
                        sp -= 1
                        self.sp = sp
                        let rhs = sp.pointee
                        let slot = base + a
                        if slot.pointee.isSmallInt && rhs.isSmallInt {
                            let x = slot.pointee.smallIntValue, y = rhs.smallIntValue
                            let (r, o) = isAdd ? x.addingReportingOverflow(y) : x.subtractingReportingOverflow(y)
                            if !o { slot.pointee = .int(r); break }
                        }
                        try updateInPlace(slot, isAdd ? .add : .sub, rhs)

                    case .add:
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            // Two 48-bit ints cannot overflow 64 bits; `.int` boxes a big result.
                            l.pointee = .int(l.pointee.smallIntValue &+ r.pointee.smallIntValue); sp = r; break
                        } else if bothNumbers(l.pointee, r.pointee) {
                            l.pointee = .float(l.pointee.asDouble + r.pointee.asDouble); sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(.add, x, y); sp += 1
                    case .sub:
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            // Two 48-bit ints cannot overflow 64 bits; `.int` boxes a big result.
                            l.pointee = .int(l.pointee.smallIntValue &- r.pointee.smallIntValue); sp = r; break
                        } else if bothNumbers(l.pointee, r.pointee) {
                            l.pointee = .float(l.pointee.asDouble - r.pointee.asDouble); sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(.sub, x, y); sp += 1
                    case .mul:
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            let x = l.pointee.smallIntValue, y = r.pointee.smallIntValue
                            let (v, o) = x.multipliedReportingOverflow(by: y)
                            if !o { l.pointee = .int(v); sp = r; break }
                        } else if bothNumbers(l.pointee, r.pointee) {
                            l.pointee = .float(l.pointee.asDouble * r.pointee.asDouble); sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(.mul, x, y); sp += 1
                    case .div:
                        let l = sp - 2, r = sp - 1
                        if bothNumbers(l.pointee, r.pointee) && r.pointee.asDouble != 0 {
                            l.pointee = .float(l.pointee.asDouble / r.pointee.asDouble); sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(.div, x, y); sp += 1
                    case .floorDiv, .mod:
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isSmallInt && r.pointee.isSmallInt && r.pointee.smallIntValue != 0 {
                            // Python's floor semantics; 48-bit operands cannot overflow.
                            let x = l.pointee.smallIntValue, y = r.pointee.smallIntValue
                            let q = x / y, m = x - q * y
                            let adjust = m != 0 && (m < 0) != (y < 0)
                            l.pointee = word & 0xFF == UInt32(Op.mod.rawValue)
                                ? .int(adjust ? m + y : m) : .int(adjust ? q - 1 : q)
                            sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(decodeOp(word), x, y); sp += 1
                    case .pow:
                        // A float raised to a float or int power, with a base where
                        // pow is defined for every exponent; the rest (int powers,
                        // negative bases, errors) go through `binary`.
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isFloat && (r.pointee.isFloat || r.pointee.isSmallInt) {
                            let x = l.pointee.floatValue
                            if x > 0 {
                                l.pointee = .float(pow(x, r.pointee.asDouble)); sp = r; break
                            }
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(.pow, x, y); sp += 1
                    case .bitAnd, .bitOr, .bitXor, .shl, .shr:
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try binary(decodeOp(word), x, y); sp += 1
                    case .neg:
                        let x = popPublishing(&sp, self)
                        sp.pointee = try negate(x); sp += 1
                    case .bitNot:
                        let x = popPublishing(&sp, self)
                        guard case .int(let i) = x.unpacked else {
                            throw ScriptThrow.typeError("bad operand type for ~: '\(x.typeName)'")
                        }
                        sp.pointee = .int(~i); sp += 1
                    case .not:
                        let x = popPublishing(&sp, self)
                        sp.pointee = .bool(!x.isTruthy); sp += 1

                    case .eq, .ne:
                        let l = sp - 2, r = sp - 1
                        let negate = word & 0xFF == UInt32(Op.ne.rawValue)
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            l.pointee = .bool((l.pointee.bits == r.pointee.bits) != negate); sp = r; break
                        } else if bothNumbers(l.pointee, r.pointee) {
                            l.pointee = .bool((l.pointee.asDouble == r.pointee.asDouble) != negate); sp = r; break
                        } else if l.pointee.isStr && r.pointee.isStr {
                            l.pointee = .bool(strEqual(l.pointee, r.pointee) != negate); sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        sp.pointee = .bool(try equals(x, y) != negate); sp += 1
                    case .lt, .le, .gt, .ge:
                        let l = sp - 2, r = sp - 1
                        let op = decodeOp(word)
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            l.pointee = .bool(ordered(op, l.pointee.smallIntValue, r.pointee.smallIntValue))
                            sp = r; break
                        } else if bothNumbers(l.pointee, r.pointee) {
                            l.pointee = .bool(ordered(op, l.pointee.asDouble, r.pointee.asDouble))
                            sp = r; break
                        }
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = .bool(try compare(op, x, y)); sp += 1
                    case .isIn, .notIn:
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        let r = try contains(y, x)
                        sp.pointee = .bool(word & 0xFF == UInt32(Op.isIn.rawValue) ? r : !r); sp += 1
                    case .isSame, .isNot:
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        let r = x.isIdentical(to: y)
                        sp.pointee = .bool(word & 0xFF == UInt32(Op.isSame.rawValue) ? r : !r); sp += 1

                    case .jump, .jumpIterNext:
                        if a < pc {
                            // Loops are where Ctrl-C and the step budget stop a script,
                            // and where another thread may ask for locking to be turned on.
                            let steps = stepsLeft.pointee &- 1
                            stepsLeft.pointee = steps
                            if steps < 0 || thread.attention.load(ordering: .relaxed) {
                                frame.pointee.pc = pc; self.sp = sp
                                // Whatever this frame's operations rooted is done with.
                                allocations.truncateRoots(to: frame.pointee.rootMark)
                                if steps < 0 { try refillSteps() }
                                try safepoint()
                            }
                        }
                        pc = a
                        // Landing on a range's `iterNext`: its step, here (anything else
                        // is left to the `iterNext`).
                        if word & 0xFF == UInt32(Op.jumpIterNext.rawValue),
                           let more = stepRange(base + Int(code[pc] >> 8), &sp) {
                            pc = more ? pc &+ 2 : Int(code[pc &+ 1])
                        }
                    case .jumpIfFalse:
                        sp -= 1
                        let c = sp.pointee
                        if !c.isTruthy { pc = a }
                    case .jumpIfTrue:
                        sp -= 1
                        let c = sp.pointee
                        if c.isTruthy { pc = a }
                    case .jumpIfFalseOrPop:
                        if !(sp - 1).pointee.isTruthy { pc = a } else { sp -= 1; drop(sp) }
                    case .jumpIfTrueOrPop:
                        if (sp - 1).pointee.isTruthy { pc = a } else { sp -= 1; drop(sp) }
                    case .jumpUnlessNil:
                        sp -= 1
                        if !sp.pointee.isNil { pc = a }
                    case .jumpIfNil:
                        sp -= 1
                        if sp.pointee.isNil { pc = a }
                    case .jumpIfNotMissing:
                        let target = Int(code[pc])
                        pc &+= 1
                        if !base[a].isMissing { pc = target }

                    case .jumpUnlessLt, .jumpUnlessLe, .jumpUnlessGt, .jumpUnlessGe:
                        let l = sp - 2, r = sp - 1
                        let op = decodeOp(word)
                        let holds: Bool
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            holds = ordered(op, l.pointee.smallIntValue, r.pointee.smallIntValue)
                            sp = l
                        } else if bothNumbers(l.pointee, r.pointee) {
                            holds = ordered(op, l.pointee.asDouble, r.pointee.asDouble)
                            sp = l
                        } else {
                            let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                            frame.pointee.pc = pc
                            let cmp: Op = op == .jumpUnlessLt ? .lt : op == .jumpUnlessLe ? .le : op == .jumpUnlessGt ? .gt : .ge
                            holds = try compare(cmp, x, y)
                        }
                        if !holds { pc = a }
                    case .jumpUnlessEq, .jumpUnlessNe:
                        let l = sp - 2, r = sp - 1
                        var holds: Bool
                        if l.pointee.isSmallInt && r.pointee.isSmallInt {
                            holds = l.pointee.bits == r.pointee.bits
                            sp = l
                        } else if bothNumbers(l.pointee, r.pointee) {
                            holds = l.pointee.asDouble == r.pointee.asDouble
                            sp = l
                        } else if l.pointee.isStr && r.pointee.isStr {
                            holds = strEqual(l.pointee, r.pointee)
                            sp = l
                        } else {
                            let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                            frame.pointee.pc = pc
                            holds = try equals(x, y)
                        }
                        if word & 0xFF == UInt32(Op.jumpUnlessNe.rawValue) { holds = !holds }
                        if !holds { pc = a }
                    case .addImm, .subImm:
                        let t = sp - 1
                        let isAdd = word & 0xFF == UInt32(Op.addImm.rawValue)
                        let k = a - (1 << 23)
                        if t.pointee.isSmallInt {
                            let x = t.pointee.smallIntValue
                            let (v, o) = isAdd ? x.addingReportingOverflow(k) : x.subtractingReportingOverflow(k)
                            if !o { t.pointee = .int(v); break }
                        }
                        let x = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        sp.pointee = try binary(isAdd ? .add : .sub, x, .int(k)); sp += 1
                    case .buildList:
                        // Copied straight from the stack into the list's block (no
                        // intermediate array: allocating one was a malloc per list).
                        let list = ListObj.word(copying: UnsafeBufferPointer(start: sp - a, count: a))
                        (sp - a).deinitialize(count: a)
                        sp -= a
                        sp.pointee = list; sp += 1
                    case .buildMap:
                        let m = MapObj()
                        self.sp = sp
                        let start = sp - 2 * a
                        for i in 0..<a { try mapSet(m, start[2 * i], start[2 * i + 1]) }
                        start.deinitialize(count: 2 * a)
                        sp = start
                        sp.pointee = .map(m); sp += 1
                    case .appendLocal:
                        let v = popPublishing(&sp, self)
                        if base[a].isList {
                            let bound = listBound
                            let appended = base[a].withObject(ListObj.self) { l -> Bool in
                                guard l.count < bound else { return false }
                                l.appendUnlocked(v)
                                return true
                            }
                            if !appended { throw sizeExceeded(bound &+ 1, .list) }
                        }
                    case .insertLocal:
                        let v = popPublishing(&sp, self), k = popPublishing(&sp, self)
                        if base[a].isMap { try base[a].withObject(MapObj.self) { try mapSet($0, k, v) } }
                    case .makeRange:
                        let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try makeRange(x, y, inclusive: a == 1); sp += 1
                    case .index:
                        let l = sp - 2, r = sp - 1
                        if l.pointee.isList && r.pointee.isSmallInt {
                            if let v = ListObj.element(ofListAt: l.pointee.heapAddress, r.pointee.smallIntValue) {
                                l.pointee = v; sp = r; break
                            }
                        }
                        let i = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try index(x, i); sp += 1
                    case .indexImm:
                        let l = sp - 1, i = a - (1 << 23)
                        if l.pointee.isList, let v = ListObj.element(ofListAt: l.pointee.heapAddress, i) {
                            l.pointee = v; break
                        }
                        let x = popPublishing(&sp, self)
                        sp.pointee = try index(x, .smallInt(i)); sp += 1
                    case .localIndexImm:
                        let x = base[a], i = Int(code[pc]) - (1 << 23)
                        pc &+= 1
                        if x.isList, let v = ListObj.element(ofListAt: x.heapAddress, i) {
                            sp.pointee = v; sp += 1; break
                        }
                        self.sp = sp
                        sp.pointee = try index(x, .smallInt(i)); sp += 1
                    case .storeIndex:
                        let v = popPublishing(&sp, self), i = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        try setIndex(x, i, v)
                    case .slice:
                        let hi = popPublishing(&sp, self), lo = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        sp.pointee = try slice(x, lo, hi); sp += 1
                    case .reverseFresh:
                        if (sp - 1).pointee.isList {
                            // Made by the slice just now: no other holder. (Borrowed:
                            // `asList` made a reference, retained and released.)
                            (sp - 1).pointee.withObject(ListObj.self) { $0.reverseUnlocked() }
                        } else {                    // a str or bytes slice: its items, reversed
                            let x = popPublishing(&sp, self)
                            sp.pointee = .list(ListObj(try Sequences.items(self, x).reversed())); sp += 1
                        }
                    case .concatSlice:
                        let hi = popPublishing(&sp, self), lo = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        let fresh = sp - 1
                        if fresh.pointee.isList,
                           try fresh.pointee.withObject(ListObj.self, { try appendSlice(of: x, lo, hi, to: $0) }) {
                            pc &+= 1        // the `add` is done
                        } else {
                            sp.pointee = try slice(x, lo, hi); sp += 1
                        }
                    case .concatFresh:
                        // (The whole of y is its slice with both bounds left out.)
                        let fresh = sp - 2, y = (sp - 1).pointee
                        if fresh.pointee.isList,
                           try fresh.pointee.withObject(ListObj.self, { try appendSlice(of: y, .nil, .nil, to: $0) }) {
                            sp -= 1
                            pc &+= 1        // the `add` is done
                        }
                    case .getAttr:
                        let l = sp - 1
                        // (A `let`: a closure capturing the loop's `var pc` pays a
                        // dynamic exclusivity check per read.)
                        let hint = proto.fieldHints + (pc &- 1)
                        if l.pointee.isInstance, let v = l.withUnretained(Instance.self, { $0.field(Int32(a), hint: hint) }) {
                            drop(l)
                            l.pointee = v
                            break
                        }
                        let x = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        sp.pointee = try getAttribute(x, Int32(a)); sp += 1
                    case .getLocalAttr:
                        let local = base + a
                        let sym = Int32(bitPattern: code[pc])
                        pc &+= 1
                        let hint = proto.fieldHints + (pc &- 1)
                        if local.pointee.isInstance, let v = local.withUnretained(Instance.self, { $0.field(sym, hint: hint) }) {
                            sp.pointee = v; sp += 1
                            break
                        }
                        frame.pointee.pc = pc; self.sp = sp
                        sp.pointee = try getAttribute(local.pointee, sym); sp += 1
                    case .setAttr:
                        let target = sp - 2
                        if target.pointee.isInstance,
                           target.withUnretained(Instance.self, { !$0.frozen && !$0.hasNative }) {
                            sp -= 1
                            let v = sp.pointee
                            let hint = proto.fieldHints + (pc &- 1)
                            target.withUnretained(Instance.self) { inst in inst.locked { inst.setFieldUnlocked(Int32(a), v, hint: hint) } }
                            sp -= 1
                            drop(sp)
                            break
                        }
                        let v = popPublishing(&sp, self), x = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        try setAttribute(x, Int32(a), v)
                    case .getSuper:
                        let x = popPublishing(&sp, self)
                        sp.pointee = try superMethod(frame.pointee.closure, x, Int32(a)); sp += 1
                    case .unpack:
                        let x = popPublishing(&sp, self)
                        if x.isList {
                            // Straight from the list's block onto the stack, last item first.
                            var top = sp
                            let done = x.withObject(ListObj.self) { l in
                                l.locked {
                                    l.withElements { items -> Bool in
                                        guard items.count == a else { return false }
                                        for v in items.reversed() { top.pointee = v; top += 1 }
                                        return true
                                    }
                                }
                            }
                            if done { sp = top; break }
                        }
                        let items = try unpack(x, count: a)
                        for v in items.reversed() { sp.pointee = v; sp += 1 }

                    case .call:
                        let calleePos = sp - a - 1
                        frame.pointee.pc = pc
                        // A script function taking exactly these arguments is entered here.
                        if calleePos.pointee.isFunction,
                           enterDirect(calleePos.pointee, argc: a, asMethod: false,
                                       ret: calleePos, base: calleePos + 1, sp: &sp) {
                            continue enterFrame
                        }
                        self.sp = sp
                        if try setupCall(calleePos, argc: a, kw: nil) {
                            sp = self.sp
                            continue enterFrame
                        }
                        sp = self.sp
                    case .callKw:
                        let kwRef = proto.keywordSetRefs[Int(code[pc])]
                        pc &+= 1
                        frame.pointee.pc = pc; self.sp = sp
                        let entered = try kwRef._withUnsafeGuaranteedRef { kw in
                            try setupCall(sp - a - kw.ids.count - 1, argc: a, kw: kw)
                        }
                        sp = self.sp
                        if entered { continue enterFrame }
                    case .invoke:
                        let argc = Int(code[pc])
                        pc &+= 1
                        let recv = sp - argc - 1
                        // Inline fast path: list.append(x).
                        if argc == 1 && a == MethodSymbols.appendIndex, let l = recv.pointee.asList, !l.frozen {
                            let v = popPublishing(&sp, self)
                            // The bound is checked under the lock, so threads appending
                            // to one list together cannot overshoot it.
                            let bound = listBound
                            let appended = l.locked { () -> Bool in
                                guard l.count < bound else { return false }
                                l.appendUnlocked(v)
                                return true
                            }
                            if !appended { throw sizeExceeded(bound &+ 1, .list) }
                            recv.pointee = .nil
                            break
                        }
                        frame.pointee.pc = pc
                        // So is a script method of an instance's class.
                        if recv.pointee.isInstance, let m = scriptMethod(ofInstanceAt: recv, Int32(a)),
                           enterDirect(m, argc: argc, asMethod: true, ret: recv, base: recv, sp: &sp) {
                            continue enterFrame
                        }
                        self.sp = sp
                        if try setupInvoke(recv, sym: Int32(a), argc: argc, kw: nil) {
                            sp = self.sp
                            continue enterFrame
                        }
                        sp = self.sp
                    case .invokeKw:
                        let argc = Int(code[pc])
                        let kwRef = proto.keywordSetRefs[Int(code[pc + 1])]
                        pc &+= 2
                        frame.pointee.pc = pc; self.sp = sp
                        let entered = try kwRef._withUnsafeGuaranteedRef { kw in
                            try setupInvoke(sp - argc - kw.ids.count - 1, sym: Int32(a), argc: argc, kw: kw)
                        }
                        sp = self.sp
                        if entered { continue enterFrame }
                    case .callSpread:
                        frame.pointee.pc = pc; self.sp = sp
                        if try setupSpreadCall(sp - 3) {
                            sp = self.sp
                            continue enterFrame
                        }
                        sp = self.sp

                    case .ret:
                        sp -= 1
                        let result: Word
                        if frame.pointee.isConstructor {
                            result = base[0]
                            sp.deinitialize(count: 1)
                        } else {
                            result = sp.pointee
                        }
                        // What this frame's operations rooted is done with (a native
                        // that called it rooted its own values before the call).
                        allocations.truncateRoots(to: frame.pointee.rootMark)
                        let r = frame.pointee.ret
                        var p = r
                        while p < sp { drop(p); p += 1 }
                        r.pointee = result
                        sp = r + 1
                        frameCount -= 1
                        if frameCount == entry {
                            self.sp = sp
                            return
                        }
                        continue enterFrame

                    case .closure:
                        let p = unsafeDowncast(consts[a].heapObject!, to: ProtoBox.self).proto
                        sp.pointee = .function(makeClosure(p, frame: frame.pointee)); sp += 1
                    case .makeClass:
                        let t = unsafeDowncast(consts[a].heapObject!, to: ClassTemplate.self)
                        let n = t.methodNames.count + t.attrNames.count
                        let values = Array(UnsafeBufferPointer(start: sp - n, count: n))
                        (sp - n).deinitialize(count: n)
                        sp -= n
                        let sup = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        sp.pointee = try makeClass(t, superclass: sup, values: values); sp += 1

                    case .iterInit:
                        let mode = code[pc]
                        pc &+= 1
                        frame.pointee.pc = pc
                        switch mode {
                        case 2:     // `for i, x in enumerate(xs)`: the builtin's items, no pair lists
                            let x = popPublishing(&sp, self)
                            try Sequences.checkEnumerateSize(x)
                            base[a] = .object(PairIterator(first: nil, second: try Sequences.items(self, x)))
                        case 3:     // `for x, y in zip(xs, ys)`
                            let y = popPublishing(&sp, self), x = popPublishing(&sp, self)
                            let columns = try Sequences.zipColumns(self, [x, y])
                            base[a] = .object(PairIterator(first: columns[0], second: columns[1]))
                        case 4:     // `for x in reversed(e)`: a range backwards, anything else as the builtin
                            let x = popPublishing(&sp, self)
                            if case .object(let r as RangeObj) = x.unpacked {
                                base[a] = .object(RangeIterator(reversing: r))
                            } else {
                                base[a] = .object(try makeIterator(try Sequences.reversed(self, x)))
                            }
                        default:
                            let x = popPublishing(&sp, self)
                            base[a] = .object(try makeIterator(x, pairs: mode == 1))
                        }
                    case .iterNext:
                        let target = Int(code[pc])
                        pc &+= 1
                        if let more = stepRange(base + a, &sp) {
                            if !more { pc = target }
                            break
                        }
                        frame.pointee.pc = pc; self.sp = sp
                        if let v = try (base + a).withUnretained(IteratorObj.self, { try $0.next(self) }) {
                            sp.pointee = v; sp += 1
                        } else {
                            pc = target
                        }

                    case .iterNext2:
                        let target = Int(code[pc])
                        pc &+= 1
                        let slot = base + a
                        let pair: (Word, Word)?
                        if slot.withUnretained(IteratorObj.self, { $0 is PairIterator }) {
                            pair = slot.withUnretained(PairIterator.self) { $0.nextPair() }
                        } else {
                            frame.pointee.pc = pc; self.sp = sp
                            if let v = try slot.withUnretained(IteratorObj.self, { try $0.next(self) }) {
                                pair = try unpackPair(v)
                            } else {
                                pair = nil
                            }
                        }
                        if let (x, y) = pair {
                            sp.pointee = y; sp += 1
                            sp.pointee = x; sp += 1
                        } else {
                            pc = target
                        }

                    case .throwError:
                        let e = popPublishing(&sp, self)
                        frame.pointee.pc = pc
                        throw try makeThrowable(e)
                    case .setupTry:
                        handlers.append(Handler(frameIndex: frameCount - 1, target: a, depth: sp - base))
                    case .popTry:
                        handlers.removeLast()
                    case .importModule:
                        frame.pointee.pc = pc; self.sp = sp
                        guard let key = consts[a].asStr else { break }
                        sp.pointee = try importModule(key.value, from: proto.file); sp += 1
                    case .toStr:
                        let x = popPublishing(&sp, self)
                        if x.isStr { sp.pointee = x; sp += 1 } else if x.isInt {
                            sp.pointee = .str(StrObj.decimal(x.intValue)); sp += 1
                        } else {
                            frame.pointee.pc = pc; self.sp = sp
                            sp.pointee = .string(try str(x)); sp += 1
                        }
                    case .concat:
                        // The parts are strings (constants, or values through `toStr`);
                        // anything else is converted rather than trusted.
                        let parts = sp - a
                        self.sp = sp
                        for i in 0..<a where !parts[i].isStr { parts[i] = .string(try str(parts[i])) }
                        let s = try StrObj.joining(a, check: { try checkSize($0, .string) }) {
                            parts[$0].unchecked(StrObj.self)
                        }
                        parts.deinitialize(count: a)
                        sp = parts
                        sp.pointee = .str(s); sp += 1
                    case .assertCatchable:
                        let kind = popPublishing(&sp, self), e = popPublishing(&sp, self)
                        sp.pointee = .bool(try errorMatches(e, kind)); sp += 1
                    }
                }
            }
        } catch {
            // self.sp was published before every throwing call (see popPublishing(&sp, self)).
            frame.pointee.pc = pc
            throw error
        }
    }

    /// The step of a `for` loop over the iterator in `slot`, if it is a range's:
    /// pushes the next int and returns true, or returns false when the range is done;
    /// nil for any other iterator.
    @inline(__always)
    func stepRange(_ slot: UnsafeMutablePointer<Word>, _ sp: inout UnsafeMutablePointer<Word>) -> Bool? {
        unowned(unsafe) let it = slot.unretained(IteratorObj.self)
        guard type(of: it) == RangeIterator.self else { return nil }
        unowned(unsafe) let r = unsafeDowncast(it, to: RangeIterator.self)
        guard r.remaining > 0 else { return false }
        sp.pointee = .int(r.current); sp += 1
        r.current &+= r.step        // unused once remaining hits 0
        r.remaining &-= 1
        return true
    }

    @inline(__always) func cellAt(_ p: UnsafeMutablePointer<Word>) -> Cell {
        unsafeDowncast(p.pointee.heapObject!, to: Cell.self)
    }

    /// The inline half of a call, for a script function whose parameters the call's
    /// `argc` arguments (below `sp`) fill exactly: pushes the frame of `callee` (a
    /// function word; for `asMethod`, a method with the receiver in slot 0), with
    /// slot 0 at `newBase`, and fills its other locals with nil. Returns false,
    /// having changed nothing, when the general path (VM.setupCall, setupInvoke)
    /// must run the call instead: other arguments, a safepoint or the step budget
    /// due, or the depth or stack limit reached (VM.pushFrame raises the error).
    @inline(__always)
    func enterDirect(_ callee: Word, argc: Int, asMethod: Bool, ret: UnsafeMutablePointer<Word>,
                     base newBase: UnsafeMutablePointer<Word>, sp: inout UnsafeMutablePointer<Word>) -> Bool {
        let target = Ref<Closure>(payloadOf: callee)
        // Fields only: handing the unowned prototype to a function would retain it.
        unowned(unsafe) let p = target.object.proto
        guard (asMethod ? p.directInvokeArity : p.directCallArity) == argc else { return false }
        let steps = stepsLeft.pointee &- 1
        guard steps >= 0, frameCount < maxDepth, newBase + p.frameWords < stackLimit,
              !thread.attention.load(ordering: .relaxed) else { return false }
        stepsLeft.pointee = steps
        var q = sp
        let end = newBase + p.slotCount
        while q < end { q.pointee = .nil; q += 1 }
        sp = q
        (frames + frameCount).pointee = Frame(closureRef: target, base: newBase, ret: ret,
                                              isConstructor: false, rootMark: allocations.rootCount)
        frameCount += 1
        return true
    }
}

/// Pops for slow paths, also publishing the stack top: whatever throws next must
/// see exactly the values still on the stack, or unwinding would release
/// moved-out values twice.
@inline(__always) func popPublishing(_ sp: inout UnsafeMutablePointer<Word>, _ vm: VM) -> Word {
    // The published top stays above the popped operand: a slow path that calls back
    // into script code (an `eq`, an `add` method) pushes above it, so the operand
    // stays where the collector sees it until the operation is done.
    if vm.sp < sp { vm.sp = sp }
    sp -= 1
    return sp.pointee
}

/// Both operands are floats or inline ints (compared and combined as doubles, which
/// is exact for 48-bit ints).
@inline(__always) func bothNumbers(_ a: Word, _ b: Word) -> Bool {
    (a.isFloat || a.isSmallInt) && (b.isFloat || b.isSmallInt)
}

/// `x op y` for an ordering: `op` is `lt`, `le`, `gt`, `ge` or their `jumpUnless` forms.
@inline(__always) func ordered<T: Comparable>(_ op: Op, _ x: T, _ y: T) -> Bool {
    switch op {
    case .lt, .jumpUnlessLt: return x < y
    case .le, .jumpUnlessLe: return x <= y
    case .gt, .jumpUnlessGt: return x > y
    default: return x >= y
    }
}

/// Forgets the value in a slot: values are words, so there is nothing to release.
@inline(__always) func drop(_ p: UnsafeMutablePointer<Word>) {}

/// The opcode of an instruction word. The compiler only emits valid opcodes, and
/// `Op`'s cases are numbered from 0 in declaration order, so the low byte is
/// the case itself (checked by OpcodeTests).
@inline(__always) func decodeOp(_ word: UInt32) -> Op {
    unsafeBitCast(UInt8(truncatingIfNeeded: word), to: Op.self)
}

/// Interned names of methods the VM handles inline.
enum MethodSymbols {
    static let append = Symbols.intern("append")
    static let appendIndex = Int(append)
}
