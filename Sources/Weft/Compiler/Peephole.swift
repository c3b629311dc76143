// The last step of compiling a function: the code the VM runs is the compiler's
// output without its `nop`s (placeholders for boxing captured variables that were
// not needed) and with the commonest pairs of instructions fused into one, with
// every jump retargeted. A fused pair costs one dispatch instead of two; in the
// real programs of Scripts/bench, `loadLocal loadLocal` is 10-24% of the
// instructions run, `loadLocal getAttr` (`self.x`) 10-15% of the object-heavy
// ones, `storeLocal loadLocal` 3-9%, and the `jump` back to a `for` loop's
// `iterNext` 2-7%.
//
// Fusing happens here, on finished code, rather than while emitting: until a
// function is finished, a later closure may capture a local and turn its
// `loadLocal`s into `loadCell`s (FunctionState.capture), and a later jump may land
// between the two instructions of a pair. A pair is fused only if no jump lands on
// its second instruction.

enum Peephole {
    /// `code` and its `positions` (one per word) without nops, pairs fused.
    static func finalCode(_ code: [UInt32], _ positions: [SourcePos]) -> ([UInt32], [SourcePos]) {
        var starts: [Int] = []
        var isTarget = [Bool](repeating: false, count: code.count + 1)
        var pc = 0
        while pc < code.count {
            let op = opcode(code[pc])
            starts.append(pc)
            if op.jumpsWithA { isTarget[Int(code[pc] >> 8)] = true }
            if op.jumpsWithB { isTarget[Int(code[pc + 1])] = true }
            pc += 1 + extraWords(op)
        }

        // Old index -> new index, for the jumps (every target is an instruction start).
        var newIndex = [Int](repeating: 0, count: code.count + 1)
        var out: [UInt32] = [], pos: [SourcePos] = []
        out.reserveCapacity(code.count); pos.reserveCapacity(code.count)
        var i = 0
        while i < starts.count {
            let s = starts[i]
            if opcode(code[s]) == .nop { newIndex[s] = out.count; i += 1; continue }
            // The next instruction that is not a nop, and whether a jump lands on it
            // (or on a nop before it, which is the same).
            var j = i + 1
            var landedOn = false
            while j < starts.count {
                landedOn = landedOn || isTarget[starts[j]]
                if opcode(code[starts[j]]) != .nop { break }
                j += 1
            }
            if j < starts.count, !landedOn, let fused = fuse(code, s, starts[j], positions) {
                for k in i...j { newIndex[starts[k]] = out.count }
                out += fused.words; pos += fused.positions
                i = j + 1
                continue
            }
            newIndex[s] = out.count
            let width = 1 + extraWords(opcode(code[s]))
            out += code[s..<s + width]; pos += positions[s..<s + width]
            i += 1
        }
        newIndex[code.count] = out.count

        pc = 0
        while pc < out.count {
            let op = opcode(out[pc])
            if op.jumpsWithA { out[pc] = (out[pc] & 0xFF) | (UInt32(newIndex[Int(out[pc] >> 8)]) << 8) }
            // A loop's jump back to its `iterNext` steps a range itself.
            let target = Int(out[pc] >> 8)
            if op == .jump && target < out.count && opcode(out[target]) == .iterNext {
                out[pc] = word(.jumpIterNext, out[pc] >> 8)
            }
            if op.jumpsWithB { out[pc + 1] = UInt32(newIndex[Int(out[pc + 1])]) }
            pc += 1 + extraWords(op)
        }
        return (out, pos)
    }

    /// The fused form of the instructions at `first` and `second`, or nil.
    private static func fuse(_ code: [UInt32], _ first: Int, _ second: Int,
                             _ positions: [SourcePos]) -> (words: [UInt32], positions: [SourcePos])? {
        let a = code[first] >> 8, b = code[second] >> 8
        switch (opcode(code[first]), opcode(code[second])) {
        case (.loadLocal, .loadLocal) where a < 1 << 12 && b < 1 << 12:
            return ([word(.loadLocal2, a | b << 12)], [positions[first]])
        case (.storeLocal, .loadLocal) where a < 1 << 12 && b < 1 << 12:
            return ([word(.storeLoadLocal, a | b << 12)], [positions[first]])
        case (.storeLocal, .storeLocal) where a < 1 << 12 && b < 1 << 12:
            return ([word(.storeLocal2, a | b << 12)], [positions[first]])
        case (.loadLocal, .getAttr):
            // The second word keeps the position of the instruction that can fail,
            // which is where its errors point.
            return ([word(.getLocalAttr, a), b], [positions[first], positions[second]])
        case (.loadLocal, .indexImm):
            return ([word(.localIndexImm, a), b], [positions[first], positions[second]])
        default:
            return nil
        }
    }

    private static func opcode(_ w: UInt32) -> Op { Op(rawValue: UInt8(w & 0xFF))! }
    private static func word(_ op: Op, _ a: UInt32) -> UInt32 { UInt32(op.rawValue) | a << 8 }
}
