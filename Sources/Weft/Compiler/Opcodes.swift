// The instruction set: one list, shared by the compiler (stack-depth accounting),
// the VM (dispatch) and the disassembler.
//
// Encoding: one 32-bit word per instruction, opcode in the low 8 bits and operand A
// in the high 24 bits. The few instructions with a second operand B read it from the
// following word. Stack effects are written `[before] -> [after]`.

enum Op: UInt8, CaseIterable {
    case nop            // -
    case constant       // A=k            [] -> [K[k]]
    case pushNil        //                [] -> [nil]
    case pushTrue       //                [] -> [true]
    case pushFalse      //                [] -> [false]
    case pushInt        // A=imm+2^23     [] -> [int]
    case pop            //                [x] -> []
    case dup            //                [x] -> [x x]
    case dup2           //                [a b] -> [a b a b]

    case loadLocal      // A=slot         [] -> [L[s]]
    case loadLocal2     // A=s1+s2<<12    [] -> [L[s1] L[s2]]   (two loadLocals; Peephole.swift)
    case storeLocal     // A=slot         [x] -> []        L[s] = x
    case storeLocal2    // A=s1+s2<<12    [y x] -> []      L[s1] = x; L[s2] = y   (two storeLocals)
    case storeLoadLocal // A=s1+s2<<12    [x] -> [L[s2]]   L[s1] = x   (storeLocal + loadLocal)
    case loadCell       // A=slot         [] -> [L[s].value]
    case storeCell      // A=slot         [x] -> []        L[s].value = x
    case boxLocal       // A=slot         L[s] = Cell(L[s])  (a captured parameter)
    case newCell        // A=slot         L[s] = Cell(nil)   (a captured variable's declaration)
    case loadCapture    // A=i            [] -> [C[i]]        captured by value
    case loadCaptureCell  // A=i          [] -> [C[i].value]
    case storeCaptureCell // A=i          [x] -> []
    case loadGlobal     // A=g            [] -> [G[g]]        NameError when unset
    case storeGlobal    // A=g            [x] -> []
    case addLocal       // A=slot         [x] -> []        L[s] += x (strings append in place)
    case subLocal       // A=slot         [x] -> []        L[s] -= x

    case add, sub, mul, div, floorDiv, mod, pow    // [a b] -> [a op b]
    case bitAnd, bitOr, bitXor, shl, shr           // [a b] -> [a op b]
    case neg, bitNot, not                          // [a] -> [op a]
    case eq, ne, lt, le, gt, ge                    // [a b] -> [bool]
    case isIn, notIn, isSame, isNot                // [a b] -> [bool]

    case jumpIterNext   // A=target       a `jump` to an `iterNext`, which a range's step runs here too
    case jump           // A=target
    case jumpIfFalse    // A=target       [c] -> []
    case jumpIfTrue     // A=target       [c] -> []
    case jumpIfFalseOrPop // A=target     [c] -> [c] and jump if falsy, else []
    case jumpIfTrueOrPop  // A=target     [c] -> [c] and jump if truthy, else []
    case jumpIfNotMissing // A=slot B=target   parameter default prologue
    case jumpUnlessLt, jumpUnlessLe, jumpUnlessGt, jumpUnlessGe, jumpUnlessEq, jumpUnlessNe
                        // A=target       [a b] -> []   jump unless `a op b` (fused compare + branch)
    case jumpUnlessNil  // A=target       [x] -> []     jump unless `x is nil`
    case jumpIfNil      // A=target       [x] -> []     jump if `x is nil` (`x is not nil` is false)
    case addImm         // A=imm+2^23     [x] -> [x + imm]
    case subImm         // A=imm+2^23     [x] -> [x - imm]

    case buildList      // A=n            [x1..xn] -> [list]
    case buildMap       // A=n            [k1 v1 .. kn vn] -> [map]
    case appendLocal    // A=slot         [x] -> []        L[s].append(x)   (comprehensions)
    case insertLocal    // A=slot         [k v] -> []      L[s][k] = v
    case makeRange      // A=1 inclusive  [a b] -> [range]
    case index          //                [a i] -> [a[i]]
    case indexImm       // A=imm+2^23     [a] -> [a[imm]]   (`xs[0]`: no pushInt)
    case localIndexImm  // A=slot B=imm+2^23  [] -> [L[s][imm]]   (loadLocal + indexImm)
    case storeIndex     //                [a i x] -> []    a[i] = x
    case slice          //                [a lo hi] -> [a[lo:hi]]  (nil = omitted)
    case reverseFresh   //                [s] -> [reversed(s)]   s just made by `slice`
    case concatSlice    //                [s a lo hi] -> [s + a[lo:hi]], skipping the `add` that follows,
                        //                when s (just made) and a are lists; else [s a[lo:hi]]
    case concatFresh    //                [s y] -> [s + y], skipping the `add` that follows, when s (just
                        //                made) and y are lists; else unchanged, for the `add`
    case getAttr        // A=sym          [o] -> [o.name]
    case getLocalAttr   // A=slot B=sym   [] -> [L[s].name]   (loadLocal + getAttr; Peephole.swift)
    case setAttr        // A=sym          [o x] -> []      o.name = x
    case getSuper       // A=sym          [self] -> [bound super method]
    case unpack         // A=n            [seq] -> [xn .. x1]   (x1 on top; ValueError if len != n)

    case call           // A=argc         [f a1..an] -> [result]
    case callKw         // A=argc B=kwnames  [f a1..an v1..vk] -> [result]
    case callSpread     //                [f list map|nil] -> [result]
    case invoke         // A=sym B=argc   [o a1..an] -> [result]    o.name(a1..an)
    case invokeKw       // A=sym B=argc C=kwnames
    case ret            //                [x] -> (return x)
    case closure        // A=k (FuncProto)     [] -> [fn]
    case makeClass      // A=k (ClassTemplate) [super|nil m1..mn a1..am] -> [class]

    case iterInit       // A=slot B=mode [it] -> []        L[s] = iterator(it); mode: 0 one target,
                        //   1 two targets, 2 `enumerate(x)` [x], 3 `zip(x, y)` [x y], 4 `reversed(x)` [x]
                        //   with one target (Compiler.pairLoop)
    case iterNext       // A=slot B=target [] -> [x] or jump when exhausted
    case iterNext2      // A=slot B=target [] -> [b a] (a on top) or jump when exhausted

    case throwError     //                [e] -> (raise)
    case setupTry       // A=handler      push a handler; on error jump there with [e]
    case popTry         //                pop the innermost handler
    case importModule   // A=k (path or name) [] -> [module]
    case toStr          //                [x] -> [str(x)]
    case concat         // A=n            [s1..sn] -> [s1+..+sn]
    case assertCatchable  //              [e kind] -> [bool]   e is an instance of kind (for catch clauses)
}

/// How many extra operand words follow an instruction.
func extraWords(_ op: Op) -> Int {
    switch op {
    case .jumpIfNotMissing, .callKw, .invoke, .iterInit, .iterNext, .iterNext2, .getLocalAttr, .localIndexImm:
        return 1
    case .invokeKw: return 2
    default: return 0
    }
}

extension Op {
    /// Instructions whose operand A is a jump target.
    var jumpsWithA: Bool {
        switch self {
        case .jump, .jumpIterNext, .jumpIfFalse, .jumpIfTrue, .jumpIfFalseOrPop, .jumpIfTrueOrPop, .setupTry,
             .jumpUnlessLt, .jumpUnlessLe, .jumpUnlessGt, .jumpUnlessGe, .jumpUnlessEq, .jumpUnlessNe,
             .jumpUnlessNil, .jumpIfNil:
            return true
        default: return false
        }
    }

    /// Instructions whose extra word B is a jump target.
    var jumpsWithB: Bool { self == .jumpIfNotMissing || self == .iterNext || self == .iterNext2 }
}
