import Foundation

/// A parsed JSON document, kept untyped only long enough to resolve `inherits_from` and to read fields with
/// error messages that name the key path (`configurations.3d_fullres.patch_size[1]`).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data` as JSON; `what` names the document in the error.
    static func parse(_ data: Data, what: String) throws(NNUNetError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw NNUNetError(.invalidJSON, "\(what) is not valid JSON: \(error)")
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([JSONValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// A JSON value together with the key path that reached it, for typed reads with precise errors.
struct JSONField {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func mismatch(_ expected: String) -> NNUNetError {
        NNUNetError(.invalidJSON, "\(path) should be \(expected), found \(value.kindName)")
    }

    var isNull: Bool { value == .null }

    /// The member `key` of an object; throws when this is not an object or the key is missing.
    subscript(key: String) -> JSONField {
        get throws(NNUNetError) {
            guard case .object(let members) = value else { throw mismatch("an object") }
            guard let member = members[key] else {
                throw NNUNetError(.invalidJSON, "\(path) has no key \"\(key)\"")
            }
            return JSONField(member, path: "\(path).\(key)")
        }
    }

    /// The member `key`, or nil when it is absent or JSON null.
    func optional(_ key: String) throws(NNUNetError) -> JSONField? {
        guard case .object(let members) = value else { throw mismatch("an object") }
        guard let member = members[key], member != .null else { return nil }
        return JSONField(member, path: "\(path).\(key)")
    }

    func object() throws(NNUNetError) -> [(key: String, value: JSONField)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.keys.sorted().map { ($0, JSONField(members[$0]!, path: "\(path).\($0)")) }
    }

    func array() throws(NNUNetError) -> [JSONField] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONField($0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(NNUNetError) -> String {
        guard case .string(let text) = value else { throw mismatch("a string") }
        return text
    }

    func bool() throws(NNUNetError) -> Bool {
        guard case .bool(let flag) = value else { throw mismatch("true or false") }
        return flag
    }

    func double() throws(NNUNetError) -> Double {
        guard case .number(let number) = value else { throw mismatch("a number") }
        return number
    }

    /// An integer; accepts JSON numbers with a zero fractional part (`256.0`) as nnU-Net writes some.
    func int() throws(NNUNetError) -> Int {
        guard case .number(let number) = value else { throw mismatch("an integer") }
        guard number.rounded() == number, abs(number) < 9.0e15 else { throw mismatch("an integer") }
        return Int(number)
    }

    func intArray() throws(NNUNetError) -> [Int] {
        var result: [Int] = []
        for item in try array() { result.append(try item.int()) }
        return result
    }

    func doubleArray() throws(NNUNetError) -> [Double] {
        var result: [Double] = []
        for item in try array() { result.append(try item.double()) }
        return result
    }

    func intMatrix() throws(NNUNetError) -> [[Int]] {
        var result: [[Int]] = []
        for item in try array() { result.append(try item.intArray()) }
        return result
    }
}

extension JSONValue {
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let value): "the number \(value)"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}
