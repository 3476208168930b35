/// A value produced by `Unpickler`. Nothing in it is executable: callables are names, and the only "calls"
/// the unpickler materialises are `OrderedDict()` (an empty dictionary) and `torch._utils._rebuild_tensor_v2`
/// (a `TensorReference`); any other allowed call becomes `.opaque` with the callable's name.
package indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global reference pushed by GLOBAL / STACK_GLOBAL (already checked against the allow-list).
    case global(PickleGlobal)
    case storage(StorageReference)
    case tensor(TensorReference)
    /// The result of an allowed call we do not evaluate (numpy scalars, dtypes, `torch.device`, `_codecs.encode`).
    case opaque(PickleGlobal)

    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let global): "global \(global)"
        case .storage: "storage"
        case .tensor: "tensor"
        case .opaque(let global): "\(global)(...)"
        }
    }

    /// The value of a string key, when this is a dictionary holding one.
    subscript(key: String) -> PickleValue? {
        guard case .dict(let dict) = self else { return nil }
        return dict.value(forKey: key)
    }
}

/// A pickle list; a reference type because the memo and the stack share it while APPENDS fill it.
package final class PickleList: @unchecked Sendable {
    var items: [PickleValue] = []
    /// Nesting depth (1 + deepest item), maintained by the unpickler.
    var depth = 1
    /// Set once the list is placed inside another value; a sealed list may no longer change (see `Unpickler`).
    var sealed = false
}

/// A pickle dict (insertion-ordered); a reference type for the same reason as `PickleList`.
package final class PickleDict: @unchecked Sendable {
    var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringKeys: [String: Int] = [:]
    /// Nesting depth (1 + deepest key or value), maintained by the unpickler.
    var depth = 1
    /// Set once the dict is placed inside another value; a sealed dict may no longer change.
    var sealed = false

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let text) = key {
            if let index = stringKeys[text] {
                entries[index].value = value
                return
            }
            stringKeys[text] = entries.count
        }
        entries.append((key, value))
    }

    func value(forKey key: String) -> PickleValue? {
        stringKeys[key].map { entries[$0].value }
    }
}

/// A `module.name` global from the allow-list.
package struct PickleGlobal: Sendable, Equatable, CustomStringConvertible {
    var module: String
    var name: String
    package var description: String { "\(module).\(name)" }
}

/// `('storage', torch.FloatStorage, key, location, numel)` from a BINPERSID: a zip member `data/<key>`.
package struct StorageReference: Sendable, Equatable {
    var dtype: TensorDType
    var key: String
    var elementCount: Int
}

/// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, not yet read from the archive.
package struct TensorReference: Sendable, Equatable {
    var storage: StorageReference
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

/// Element types of torch storages.
package enum TensorDType: String, Sendable, CaseIterable {
    case float32 = "FloatStorage"
    case float16 = "HalfStorage"
    case bfloat16 = "BFloat16Storage"
    case float64 = "DoubleStorage"
    case int64 = "LongStorage"
    case int32 = "IntStorage"
    case int16 = "ShortStorage"
    case int8 = "CharStorage"
    case uint8 = "ByteStorage"
    case bool = "BoolStorage"

    var isFloatingPoint: Bool { [.float32, .float16, .bfloat16, .float64].contains(self) }

    var byteCount: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }
}
