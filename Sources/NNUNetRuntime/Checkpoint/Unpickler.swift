// Design: a strict, minimal pickle reader for PyTorch checkpoints (research §1.4.2).
//
// A stack machine over the opcodes that torch.save (protocol 2) and nnU-Net's checkpoint dict produce, plus the
// few that other torch versions emit (protocol 4 framing, short strings/bytes, STACK_GLOBAL, MEMOIZE). It never
// imports or calls anything: GLOBAL/STACK_GLOBAL accept only the names in `allowedGlobals` and push a name;
// REDUCE turns `OrderedDict()` into an empty dict and `_rebuild_tensor_v2(...)` into a `TensorReference`; other
// allowed calls (numpy scalars, dtypes, torch.device, _codecs.encode) become opaque values. Every other opcode
// (INST, OBJ, NEWOBJ, EXT*, PERSID text form, string opcodes of protocol 0/1, ...) and every other global is
// rejected with the opcode or name in the message. Reads are bounds-checked, the stack and memo are bounded by
// the input length, and no recursion depends on the input, so hostile bytes can fail but not crash or hang.
// Nesting is limited to `maximumDepth` (deeply nested values would otherwise be freed by deep recursion): a
// tuple's depth is known when it is built, and a list or dict is sealed when it is placed inside another value
// (a real pickler always completes a container before its parent uses it), so recorded depths stay true and no
// container can come to contain itself.
// Reference: CPython Lib/pickletools.py (opcode table), Modules/_pickle.c (semantics of MARK, memo, BUILD).

/// Parses one pickle; see the design header.
package struct Unpickler {
    /// Globals a checkpoint may name. Storage classes are handled separately (`TensorDType`).
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.device",
        "numpy._core.multiarray.scalar",
        "numpy.core.multiarray.scalar",
        "numpy.dtype",
        "_codecs.encode",
    ]

    /// Longest pickle accepted (data.pkl of nnU-Net checkpoints is tens to hundreds of KB).
    static let maximumLength = 256 << 20

    private let bytes: [UInt8]
    private var position = 0
    /// A value with its nesting depth (for lists and dicts the object's own `depth` is authoritative).
    private struct Entry {
        var value: PickleValue
        var depth: Int
    }

    /// Deepest nesting accepted; checkpoints nest fewer than 10 levels.
    static let maximumDepth = 64

    private var stack: [Entry] = []
    private var marks: [Int] = []
    private var memo: [Int: Entry] = [:]

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `bytes` up to STOP and returns the top-level value.
    package static func parse(_ bytes: [UInt8]) throws(NNUNetError) -> PickleValue {
        guard bytes.count <= maximumLength else {
            throw NNUNetError(.limitExceeded, "pickle of \(bytes.count) bytes exceeds \(maximumLength) bytes")
        }
        var machine = Unpickler(bytes)
        return try machine.run()
    }

    private mutating func run() throws(NNUNetError) -> PickleValue {
        while true {
            let offset = position
            let opcode = try readByte()
            if opcode == 0x2E {  // STOP
                guard marks.isEmpty, stack.count == 1 else {
                    throw fail("STOP with \(stack.count) values on the stack and \(marks.count) open marks", at: offset)
                }
                return stack[0].value
            }
            try execute(opcode, at: offset)
        }
    }

    private mutating func execute(_ opcode: UInt8, at offset: Int) throws(NNUNetError) {
        switch opcode {
        case 0x80: _ = try readByte()  // PROTO n
        case 0x95: _ = try read(8)  // FRAME (length; the frame is just the following bytes)
        case 0x7D: push(.dict(PickleDict()), depth: 1)  // EMPTY_DICT }
        case 0x5D: push(.list(PickleList()), depth: 1)  // EMPTY_LIST ]
        case 0x29: push(.tuple([]), depth: 1)  // EMPTY_TUPLE )
        case 0x28: marks.append(stack.count)  // MARK (
        case 0x74: try pushTuple(try popMark(offset), offset)  // TUPLE t
        case 0x85, 0x86, 0x87: try pushTuple(try popTop(Int(opcode - 0x84), offset), offset)  // TUPLE1/2/3
        case 0x4E: push(.none)  // NONE N
        case 0x88: push(.bool(true))  // NEWTRUE
        case 0x89: push(.bool(false))  // NEWFALSE
        case 0x4B: push(.int(Int(try readByte())))  // BININT1 K
        case 0x4D: push(.int(Int(try readLittleEndian(2))))  // BININT2 M
        case 0x4A: push(.int(Int(Int32(truncatingIfNeeded: try readLittleEndian(4)))))  // BININT J
        case 0x8A: push(try readLong1(offset))  // LONG1
        case 0x47:  // BINFLOAT G: big-endian IEEE double
            let raw = try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            push(.float(Double(bitPattern: raw)))
        case 0x58: push(.string(try readString(Int(try readLittleEndian(4)))))  // BINUNICODE X
        case 0x8C: push(.string(try readString(Int(try readByte()))))  // SHORT_BINUNICODE
        case 0x42: push(.bytes(try read(Int(try readLittleEndian(4)))))  // BINBYTES B
        case 0x43: push(.bytes(try read(Int(try readByte()))))  // SHORT_BINBYTES C
        case 0x71: try memoize(Int(try readByte()), offset)  // BINPUT q
        case 0x72: try memoize(Int(try readLittleEndian(4)), offset)  // LONG_BINPUT r
        case 0x94: try memoize(memo.count, offset)  // MEMOIZE
        case 0x68: stack.append(try recall(Int(try readByte()), offset))  // BINGET h
        case 0x6A: stack.append(try recall(Int(try readLittleEndian(4)), offset))  // LONG_BINGET j
        case 0x63:  // GLOBAL c "module\nname\n"
            let module = try readLine(offset)
            let name = try readLine(offset)
            push(try global(module: module, name: name, offset))
        case 0x93:  // STACK_GLOBAL
            let pair = try popTop(2, offset)
            guard case .string(let module) = pair[0].value, case .string(let name) = pair[1].value else {
                throw fail("STACK_GLOBAL needs two strings", at: offset)
            }
            push(try global(module: module, name: name, offset))
        case 0x52: try reduce(offset)  // REDUCE R
        case 0x51: try persistentLoad(offset)  // BINPERSID Q
        case 0x62: try build(offset)  // BUILD b
        case 0x73: try setItems(try popTop(2, offset), offset)  // SETITEM s
        case 0x75: try setItems(try popMark(offset), offset)  // SETITEMS u
        case 0x61: try append(try popTop(1, offset), offset)  // APPEND a
        case 0x65: try append(try popMark(offset), offset)  // APPENDS e
        default:
            throw fail("opcode 0x\(String(opcode, radix: 16)) (\(Self.opcodeName(opcode))) is not allowed", at: offset)
        }
    }

    // MARK: - Containers

    private mutating func push(_ value: PickleValue, depth: Int = 0) {
        stack.append(Entry(value: value, depth: depth))
    }

    /// The current depth of an entry (lists and dicts may have grown since they were pushed).
    private func depth(_ entry: Entry) -> Int {
        switch entry.value {
        case .list(let list): list.depth
        case .dict(let dict): dict.depth
        default: entry.depth
        }
    }

    /// Seals the lists and dicts among `items` (they become parts of another value) and returns 1 + the deepest.
    private func nest(_ items: [Entry], into parent: AnyObject?, _ offset: Int) throws(NNUNetError) -> Int {
        var deepest = 0
        for item in items {
            switch item.value {
            case .list(let list):
                guard list !== parent else { throw fail("a list cannot contain itself", at: offset) }
                list.sealed = true
            case .dict(let dict):
                guard dict !== parent else { throw fail("a dict cannot contain itself", at: offset) }
                dict.sealed = true
            default: break
            }
            deepest = max(deepest, depth(item))
        }
        guard deepest < Self.maximumDepth else {
            throw fail("values nested deeper than \(Self.maximumDepth) levels", at: offset)
        }
        return deepest + 1
    }

    private mutating func pushTuple(_ items: [Entry], _ offset: Int) throws(NNUNetError) {
        let depth = try nest(items, into: nil, offset)
        push(.tuple(items.map(\.value)), depth: depth)
    }

    private func dictOnTop(_ offset: Int) throws(NNUNetError) -> PickleDict {
        guard stack.count > (marks.last ?? 0), case .dict(let dict) = stack[stack.count - 1].value else {
            throw fail("SETITEM(S) target is not a dict", at: offset)
        }
        guard !dict.sealed else { throw fail("SETITEM(S) on a dict that is already nested in a value", at: offset) }
        return dict
    }

    private func listOnTop(_ offset: Int) throws(NNUNetError) -> PickleList {
        guard stack.count > (marks.last ?? 0), case .list(let list) = stack[stack.count - 1].value else {
            throw fail("APPEND(S) target is not a list", at: offset)
        }
        guard !list.sealed else { throw fail("APPEND(S) on a list that is already nested in a value", at: offset) }
        return list
    }

    private mutating func setItems(_ items: [Entry], _ offset: Int) throws(NNUNetError) {
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items", at: offset) }
        let dict = try dictOnTop(offset)
        dict.depth = max(dict.depth, try nest(items, into: dict, offset))
        for index in stride(from: 0, to: items.count, by: 2) { dict.set(items[index].value, items[index + 1].value) }
    }

    private mutating func append(_ items: [Entry], _ offset: Int) throws(NNUNetError) {
        let list = try listOnTop(offset)
        list.depth = max(list.depth, try nest(items, into: list, offset))
        list.items.append(contentsOf: items.map(\.value))
    }

    // MARK: - Calls (never executed)

    private func global(module: String, name: String, _ offset: Int) throws(NNUNetError) -> PickleValue {
        let qualified = "\(module).\(name)"
        if module == "torch", TensorDType(rawValue: name) != nil || Self.allowedGlobals.contains(qualified) {
            return .global(PickleGlobal(module: module, name: name))
        }
        guard Self.allowedGlobals.contains(qualified) else {
            throw fail("global \(qualified) is not allowed in a checkpoint", at: offset)
        }
        return .global(PickleGlobal(module: module, name: name))
    }

    private mutating func reduce(_ offset: Int) throws(NNUNetError) {
        let pair = try popTop(2, offset)
        guard case .global(let callable) = pair[0].value, case .tuple(let arguments) = pair[1].value else {
            throw fail("REDUCE needs a global and an argument tuple, got \(pair[0].value.kindName)", at: offset)
        }
        let depth = try nest([pair[1]], into: nil, offset)
        switch callable.description {
        case "collections.OrderedDict":
            guard arguments.isEmpty else { throw fail("OrderedDict called with arguments", at: offset) }
            push(.dict(PickleDict()), depth: 1)
        case "torch._utils._rebuild_tensor_v2":
            push(.tensor(try tensor(arguments, offset)))
        case "torch._utils._rebuild_parameter":  // (tensor, requires_grad, backward_hooks)
            guard case .tensor(let tensor)? = arguments.first else {
                throw fail("_rebuild_parameter without a tensor", at: offset)
            }
            push(.tensor(tensor))
        default:
            guard TensorDType(rawValue: callable.name) == nil else {
                throw fail("storage class \(callable) called directly", at: offset)
            }
            push(.opaque(callable), depth: depth)
        }
    }

    private func tensor(_ arguments: [PickleValue], _ offset: Int) throws(NNUNetError) -> TensorReference {
        guard arguments.count >= 4, case .storage(let storage) = arguments[0], case .int(let start) = arguments[1],
            case .tuple(let sizeItems) = arguments[2], case .tuple(let strideItems) = arguments[3]
        else {
            throw fail("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)", at: offset)
        }
        var shape: [Int] = []
        var strides: [Int] = []
        for item in sizeItems {
            guard case .int(let extent) = item else { throw fail("tensor size holds a \(item.kindName)", at: offset) }
            shape.append(extent)
        }
        for item in strideItems {
            guard case .int(let step) = item else { throw fail("tensor stride holds a \(item.kindName)", at: offset) }
            strides.append(step)
        }
        guard shape.count == strides.count else {
            throw fail("tensor size \(shape) and stride \(strides) differ in rank", at: offset)
        }
        return TensorReference(storage: storage, offset: start, shape: shape, strides: strides)
    }

    private mutating func persistentLoad(_ offset: Int) throws(NNUNetError) {
        guard case .tuple(let fields) = try popTop(1, offset)[0].value, fields.count == 5,
            case .string("storage") = fields[0],
            case .global(let storageClass) = fields[1], case .string(let key) = fields[2],
            case .int(let count) = fields[4], count >= 0
        else {
            throw fail("persistent id is not ('storage', <class>, key, location, numel)", at: offset)
        }
        guard storageClass.module == "torch", let dtype = TensorDType(rawValue: storageClass.name) else {
            throw fail("persistent id names the unsupported storage class \(storageClass)", at: offset)
        }
        push(.storage(StorageReference(dtype: dtype, key: key, elementCount: count)))
    }

    /// BUILD sets an object's state; we keep no state (OrderedDict `_metadata`, numpy dtype flags).
    private mutating func build(_ offset: Int) throws(NNUNetError) {
        _ = try nest(try popTop(1, offset), into: nil, offset)
        guard stack.count > (marks.last ?? 0) else { throw fail("BUILD on an empty stack", at: offset) }
        let target = stack[stack.count - 1].value
        switch target {
        case .dict, .opaque, .tensor: break
        default: throw fail("BUILD on a \(target.kindName)", at: offset)
        }
    }

    // MARK: - Stack, memo and reading

    private mutating func popTop(_ count: Int, _ offset: Int) throws(NNUNetError) -> [Entry] {
        let floor = marks.last ?? 0
        guard stack.count - floor >= count else { throw fail("stack underflow", at: offset) }
        let items = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return items
    }

    private mutating func popMark(_ offset: Int) throws(NNUNetError) -> [Entry] {
        guard let mark = marks.popLast() else { throw fail("no MARK to pop to", at: offset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func memoize(_ index: Int, _ offset: Int) throws(NNUNetError) {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else {
            throw fail("PUT on an empty stack", at: offset)
        }
        memo[index] = top
    }

    private func recall(_ index: Int, _ offset: Int) throws(NNUNetError) -> Entry {
        guard let value = memo[index] else { throw fail("GET of unset memo entry \(index)", at: offset) }
        return value
    }

    private mutating func readByte() throws(NNUNetError) -> UInt8 {
        guard position < bytes.count else { throw truncated() }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int) throws(NNUNetError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw truncated() }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    private mutating func readLittleEndian(_ count: Int) throws(NNUNetError) -> UInt64 {
        try read(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private mutating func readString(_ count: Int) throws(NNUNetError) -> String {
        let raw = try read(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw NNUNetError(.invalidPickle, "pickle string at byte \(position - count) is not valid UTF-8")
        }
        return text
    }

    private mutating func readLine(_ offset: Int) throws(NNUNetError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A), end - position <= 256 else {
            throw fail("GLOBAL name is unterminated or longer than 256 bytes", at: offset)
        }
        let text = try readString(end - position)
        position += 1
        return text
    }

    /// LONG1: a little-endian two's-complement integer of n ≤ 8 bytes (larger ones are not in checkpoints).
    private mutating func readLong1(_ offset: Int) throws(NNUNetError) -> PickleValue {
        let count = Int(try readByte())
        guard count <= 8 else { throw fail("LONG1 of \(count) bytes does not fit in 64 bits", at: offset) }
        let raw = try read(count)
        guard count > 0 else { return .int(0) }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if count < 8, raw[count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * count) }  // sign-extend
        return .int(Int(Int64(bitPattern: value)))
    }

    private func truncated() -> NNUNetError {
        NNUNetError(.invalidPickle, "pickle ends at byte \(bytes.count) before its STOP opcode (truncated)")
    }

    private func fail(_ problem: String, at offset: Int) -> NNUNetError {
        NNUNetError(.invalidPickle, "\(problem) (pickle byte \(offset))")
    }

    private static func opcodeName(_ opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
            0x50: "PERSID", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING", 0x49: "INT", 0x4C: "LONG",
            0x46: "FLOAT", 0x56: "UNICODE", 0x8B: "LONG4", 0x32: "DUP", 0x30: "POP", 0x31: "POP_MARK",
            0x67: "GET", 0x70: "PUT", 0x8D: "BINUNICODE8", 0x8E: "BINBYTES8", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS",
            0x91: "FROZENSET", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", 0x64: "DICT",
            0x6C: "LIST",
        ]
        return names[opcode] ?? "unknown"
    }
}
