import Foundation
import OrganaTestSupport

/// Validates JSON values against the schemas of the OpenAPI 3.1 documents in `api/` (the JSON Schema subset
/// those documents use: $ref, type, required, properties, additionalProperties, items, enum, pattern,
/// minimum/maximum/exclusiveMinimum, format uuid). Every problem is returned with its JSON path.
struct OpenAPIDocument: @unchecked Sendable {
    let name: String
    let root: [String: Any]

    init(_ name: String) throws {
        self.name = name
        let url = RepositoryPaths.root.appendingPathComponent("api/\(name).openapi.json")
        root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    static let gateway = try! OpenAPIDocument("gateway")
    static let maskStep = try! OpenAPIDocument("mask-step")

    var schemas: [String: Any] { (root["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:] }

    /// Problems of `body` (JSON text) against components/schemas/`schema`; empty when it conforms.
    func problems(_ body: Data, schema: String) -> [String] {
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))"]
        }
        return problems(value, against: ["$ref": "#/components/schemas/\(schema)"], at: "$")
    }

    /// Problems of `body` against the JSON response schema of an operation's status.
    func problems(_ body: Data, path: String, method: String, status: Int) -> [String] {
        let operation = ((root["paths"] as? [String: Any])?[path] as? [String: Any])?[method] as? [String: Any]
        guard let responses = operation?["responses"] as? [String: Any] else {
            return ["\(name): no operation \(method.uppercased()) \(path)"]
        }
        guard let response = responses[String(status)] as? [String: Any] else {
            return ["\(name): \(method.uppercased()) \(path) does not document status \(status)"]
        }
        guard let content = response["content"] as? [String: Any],
            let json = content["application/json"] as? [String: Any], let schema = json["schema"]
        else { return [] }
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["not JSON"]
        }
        return problems(value, against: schema, at: "$")
    }

    func problems(_ value: Any, against schema: Any, at path: String) -> [String] {
        guard let schema = schema as? [String: Any] else { return ["\(path): schema is not an object"] }
        if let reference = schema["$ref"] as? String {
            let name = String(reference.split(separator: "/").last ?? "")
            guard let target = schemas[name] else { return ["\(path): unresolved \(reference)"] }
            return problems(value, against: target, at: path)
        }
        var found: [String] = []
        if let type = schema["type"] as? String, !Self.matches(value, type: type) {
            return ["\(path): \(value) is not of type \(type)"]
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { "\($0)" == "\(value)" }) {
            found.append("\(path): \(value) is not one of \(options)")
        }
        if let text = value as? String {
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
            if schema["format"] as? String == "uuid", UUID(uuidString: text) == nil {
                found.append("\(path): '\(text)' is not a UUID")
            }
        }
        if let number = (value as? NSNumber)?.doubleValue, !(value is String) {
            if let minimum = schema["minimum"] as? Double, number < minimum {
                found.append("\(path): \(number) < \(minimum)")
            }
            if let maximum = schema["maximum"] as? Double, number > maximum {
                found.append("\(path): \(number) > \(maximum)")
            }
            if let minimum = schema["exclusiveMinimum"] as? Double, number <= minimum {
                found.append("\(path): \(number) <= \(minimum)")
            }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                found.append("\(path): missing required \(name)")
            }
            for (key, item) in object {
                if let property = properties[key] {
                    found += problems(item, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] {
                    if let allowed = additional as? Bool {
                        if !allowed { found.append("\(path): unexpected property \(key)") }
                    } else {
                        found += problems(item, against: additional, at: "\(path).\(key)")
                    }
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, item) in array.enumerated() { found += problems(item, against: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": isBoolean(value)
        case "integer":
            !isBoolean(value) && (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } == true
        case "number": !isBoolean(value) && value is NSNumber
        case "null": value is NSNull
        default: false
        }
    }
}
